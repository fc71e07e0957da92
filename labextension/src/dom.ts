/** Building DOM nodes: the one helper the views share. */

/** A new `tag` element of `doc` with `className` (if any) and `text` (if given). */
export function h<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  className = '',
  text?: string
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}
