import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Clipboard, ICommandPalette, Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { ChangeSocket } from './changes';
import type { IJob } from './job';
import { JobsModel } from './model';
import {
  browserDesktopNotification,
  DEFAULT_RULES,
  INotificationRules,
  originKernel,
  rulesFrom,
  selectNotices,
  showNotices
} from './notifications';
import { JobsPanel, PANEL_ID } from './panel';

export namespace CommandIDs {
  export const openPanel = 'qnb:open-panel';
  export const refresh = 'qnb:refresh';
  export const cancelJob = 'qnb:cancel-job';
  export const showJob = 'qnb:show-job';
}

const PALETTE_CATEGORY = 'Quantum Jobs';

/** The line "Open in notebook" inserts. */
export function qresultLine(id: string): string {
  return `%qresult ${id}`;
}

/** The plugin's id; its settings schema is schema/plugin.json. */
export const PLUGIN_ID = 'qnb-labextension:plugin';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'A sidebar to watch, inspect and cancel qnb quantum jobs.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, INotebookTracker, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    settings: ISettingRegistry | null
  ) => {
    const openInNotebook = async (id: string): Promise<void> => {
      const line = qresultLine(id);
      const panel = notebooks?.currentWidget;
      if (panel && !panel.isDisposed && panel.content.model) {
        const notebook = panel.content;
        NotebookActions.insertBelow(notebook);
        const cell = notebook.activeCell;
        if (cell) {
          cell.model.sharedModel.setSource(line);
        }
        app.shell.activateById(panel.id);
        notebook.activate();
        return;
      }
      Clipboard.copyToSystem(line);
      Notification.info(`No notebook is open: copied "${line}" to the clipboard.`, { autoClose: 5000 });
    };

    const model = new JobsModel({ settings: app.serviceManager.serverSettings });
    // Pushed changes: the sidebar shows them at once, and polls only as a safety net.
    const changes = new ChangeSocket({
      settings: app.serviceManager.serverSettings,
      onChange: () => model.changesPushed(),
      onConnected: connected => {
        model.pushed = connected;
      }
    });
    changes.start();
    const jobs = new JobsPanel({ model, copy: text => Clipboard.copyToSystem(text), openInNotebook });
    app.shell.add(jobs, 'left', { rank: 700 });
    if (restorer) {
      restorer.add(jobs, PANEL_ID);
    }

    const showPanel = (): void => {
      app.shell.activateById(jobs.id);
    };
    const showJob = (id: string): void => {
      showPanel();
      model.select(id);
    };
    let rules: INotificationRules = DEFAULT_RULES;
    if (settings) {
      settings
        .load(PLUGIN_ID)
        .then(loaded => {
          const update = (): void => {
            rules = rulesFrom(loaded.composite as Record<string, unknown>);
            model.watchWhenHidden = rules.notifications && rules.desktop;
          };
          update();
          loaded.changed.connect(update);
        })
        .catch(reason => console.warn('qnb: the Quantum Jobs settings did not load; using the defaults', reason));
    }
    // A job is in view when the notebook whose kernel submitted it is the one shown, in a
    // visible page: its own cell shows the ending, so a quick job needs no notification.
    const inView = (job: IJob): boolean => {
      const kernel = originKernel(job);
      const panel = notebooks?.currentWidget;
      return (
        kernel !== null &&
        document.visibilityState === 'visible' &&
        !!panel &&
        panel.isVisible &&
        panel.sessionContext.session?.kernel?.id === kernel
      );
    };
    model.jobsFinished.connect((_, notices) =>
      showNotices(selectNotices(notices, rules, inView), {
        showJob,
        showPanel,
        rules,
        hidden: () => document.visibilityState === 'hidden',
        desktop: browserDesktopNotification
      })
    );

    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Show Quantum Jobs',
      caption: 'Open the Quantum Jobs sidebar',
      execute: () => showPanel()
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh Quantum Jobs',
      caption: 'Reload the quantum jobs list now',
      execute: () => model.refresh()
    });
    app.commands.addCommand(CommandIDs.cancelJob, {
      label: args => (args.id ? `Cancel Quantum Job ${args.id}` : 'Cancel Shown Quantum Job'),
      caption: 'Cancel the job shown in the Quantum Jobs panel (or the job given as "id")',
      isEnabled: args => (args.id ? true : model.canCancelSelected),
      execute: async args => {
        const id = (args.id as string | undefined) ?? model.selectedId;
        if (id) {
          await jobs.cancelJob(id);
        }
      }
    });
    app.commands.addCommand(CommandIDs.showJob, {
      label: args => (args.id ? `Show Quantum Job ${args.id}` : 'Show Quantum Job'),
      execute: args => {
        if (args.id) {
          showJob(args.id as string);
        }
      }
    });
    let couldCancel = false;
    model.changed.connect(() => {
      if (model.canCancelSelected !== couldCancel) {
        couldCancel = model.canCancelSelected;
        app.commands.notifyCommandChanged(CommandIDs.cancelJob);
      }
    });

    if (palette) {
      for (const command of [CommandIDs.openPanel, CommandIDs.refresh, CommandIDs.cancelJob]) {
        palette.addItem({ command, category: PALETTE_CATEGORY });
      }
    }
  }
};

export default plugin;
