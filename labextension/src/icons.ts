// The sidebar icon: a Bloch sphere. Paths carry `jp-icon3` so themes recolour them.
import { LabIcon } from '@jupyterlab/ui-components';

export const QNB_ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
  '<g fill="none" stroke-linecap="round">' +
  '<circle class="jp-icon3" stroke="#616161" stroke-width="1.7" cx="12" cy="12" r="9.2"/>' +
  '<ellipse class="jp-icon3" stroke="#616161" stroke-width="1.2" cx="12" cy="12" rx="9.2" ry="3.3"/>' +
  '<path class="jp-icon3" stroke="#616161" stroke-width="1.8" d="M12 12l4.2-5.6"/>' +
  '</g>' +
  '<circle class="jp-icon3" fill="#616161" cx="16.6" cy="5.9" r="2"/>' +
  '<circle class="jp-icon3" fill="#616161" cx="12" cy="12" r="1.3"/>' +
  '</svg>';

export const qnbIcon = new LabIcon({ name: 'qnb:quantum-jobs', svgstr: QNB_ICON_SVG });
