// The pages' small DOM helper, shared by the map and the traversal sliders.

// A `tag` element with `attrs` (`text` sets its text, never parsed as HTML), appended to `parent` when given.
export function el(tag, attrs = {}, parent = null) {
  const node = document.createElement(tag);
  Object.entries(attrs).forEach(([k, v]) => {
    if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  });
  if (parent) parent.appendChild(node);
  return node;
}
