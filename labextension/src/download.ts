// Saving a file the browser already holds (a Blob) under a file name: an object
// URL on a temporary `<a download>` that is clicked, then released.

/** How long the object URL lives after the click, in ms (some browsers start the download late). */
export const REVOKE_DELAY = 10 * 1000;

/** Download `blob` as `filename`. */
export function saveBlob(blob: Blob, filename: string, doc: Document = document): void {
  const url = URL.createObjectURL(blob);
  const link = doc.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  link.style.display = 'none';
  doc.body.appendChild(link);
  try {
    link.click();
  } finally {
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_DELAY);
  }
}
