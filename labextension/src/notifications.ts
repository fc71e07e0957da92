// Turns the watcher's notices into JupyterLab notifications, by the user's rules (the
// "Quantum Jobs" settings, schema/plugin.json): quick jobs watched in their notebook stay
// quiet, failures always speak, and bursts become one notification.
import { Notification } from '@jupyterlab/apputils';

import type { IJob } from './job';
import { IJobNotice, summarizeNotices } from './watcher';

/** The notification settings, as schema/plugin.json declares them. */
export interface INotificationRules {
  /** Notify at all. */
  notifications: boolean;
  /** A DONE or CANCELLED job notifies only if it took this long (or is not in view). */
  minSeconds: number;
  /** More notices than this at once are folded into a single summary. */
  collapseAbove: number;
  /** Also a desktop notification while the page is hidden. */
  desktop: boolean;
}

export const DEFAULT_RULES: INotificationRules = {
  notifications: true,
  minSeconds: 5,
  collapseAbove: 3,
  desktop: false
};

/** The rules from the setting registry's composite (unknown or bad values: the defaults). */
export function rulesFrom(composite: Partial<Record<keyof INotificationRules, unknown>>): INotificationRules {
  const num = (value: unknown, fallback: number, min: number): number =>
    typeof value === 'number' && Number.isFinite(value) && value >= min ? value : fallback;
  const flag = (value: unknown, fallback: boolean): boolean => (typeof value === 'boolean' ? value : fallback);
  return {
    notifications: flag(composite.notifications, DEFAULT_RULES.notifications),
    minSeconds: num(composite.minSeconds, DEFAULT_RULES.minSeconds, 0),
    collapseAbove: Math.floor(num(composite.collapseAbove, DEFAULT_RULES.collapseAbove, 1)),
    desktop: flag(composite.desktop, DEFAULT_RULES.desktop)
  };
}

/** Seconds from submission to the end (null when the times are unknown). */
export function tookSeconds(job: IJob): number | null {
  const start = Date.parse(job.created_at);
  const end = Date.parse(job.finished_at ?? '');
  return Number.isNaN(start) || Number.isNaN(end) ? null : Math.max(0, (end - start) / 1000);
}

/**
 * The notices worth showing: none when notifications are off; every failure; other endings
 * only when the job took at least `minSeconds` or is not in view (`inView`: its notebook is
 * the one shown in a visible page).
 */
export function selectNotices(
  notices: readonly IJobNotice[],
  rules: INotificationRules,
  inView: (job: IJob) => boolean
): IJobNotice[] {
  if (!rules.notifications) {
    return [];
  }
  return notices.filter(notice => {
    if (notice.status === 'ERROR') {
      return true;
    }
    const took = tookSeconds(notice.job);
    return (took !== null && took >= rules.minSeconds) || !inView(notice.job);
  });
}

/** The id of the kernel a job came from (`origin` "kernel:<id>"), or null. */
export function originKernel(job: IJob): string | null {
  const origin = job.origin ?? '';
  return origin.startsWith('kernel:') ? origin.slice('kernel:'.length) : null;
}

export interface INotifyOptions {
  /** Open the details of a job (the "Show" action). */
  showJob: (id: string) => void;
  /** Open the jobs panel (the "Show" action of a summary). */
  showPanel: () => void;
  rules?: INotificationRules;
  /** Whether the page is hidden (desktop notifications go out only then). */
  hidden?: () => boolean;
  /** Show a desktop notification (the browser's `Notification`, behind its permission). */
  desktop?: (title: string, body: string) => void;
}

/** Show the notices of one tick as toasts (success / error / info). */
export function showNotices(notices: readonly IJobNotice[], options: INotifyOptions): void {
  const rules = options.rules ?? DEFAULT_RULES;
  if (!notices.length) {
    return;
  }
  if (rules.desktop && options.desktop && options.hidden?.()) {
    const body =
      notices.length > rules.collapseAbove ? summarizeNotices(notices).message : notices.map(n => n.message).join('\n');
    options.desktop('Quantum Jobs', body);
  }
  if (notices.length > rules.collapseAbove) {
    const summary = summarizeNotices(notices);
    Notification[summary.kind](summary.message, {
      autoClose: summary.kind === 'error' ? false : 8000,
      actions: [
        {
          label: 'Show',
          caption: 'Open the Quantum Jobs panel',
          callback: () => options.showPanel()
        }
      ]
    });
    return;
  }
  for (const notice of notices) {
    Notification[notice.kind](notice.message, {
      autoClose: notice.kind === 'error' ? false : 8000,
      actions: [
        {
          label: 'Show',
          caption: `Show job ${notice.id}`,
          callback: () => options.showJob(notice.id)
        }
      ]
    });
  }
}

/** A desktop notification through the browser, asking for permission once. */
export function browserDesktopNotification(title: string, body: string): void {
  const api = (globalThis as { Notification?: typeof window.Notification }).Notification;
  if (!api) {
    return;
  }
  const show = (): void => {
    new api(title, { body, tag: 'qnb-jobs' });
  };
  if (api.permission === 'granted') {
    show();
  } else if (api.permission === 'default') {
    void api.requestPermission().then(answer => {
      if (answer === 'granted') {
        show();
      }
    });
  }
}
