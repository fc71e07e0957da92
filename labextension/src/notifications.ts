// Turns the watcher's notices into JupyterLab notifications.
import { Notification } from '@jupyterlab/apputils';

import { IJobNotice, summarizeNotices } from './watcher';

/** More notices than this in one tick are folded into a single summary. */
export const MAX_SEPARATE_NOTICES = 3;

export interface INotifyOptions {
  /** Open the details of a job (the "Show" action). */
  showJob: (id: string) => void;
  /** Open the jobs panel (the "Show" action of a summary). */
  showPanel: () => void;
}

/** Show the notices of one tick as toasts (success / error / info). */
export function showNotices(notices: readonly IJobNotice[], options: INotifyOptions): void {
  if (notices.length > MAX_SEPARATE_NOTICES) {
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
