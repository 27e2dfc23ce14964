// SPDX-License-Identifier: AGPL-3.0-or-later
// dom: build elements without HTML strings. Trusted Types forbid
// innerHTML with data; every text goes through textContent, every
// handler through addEventListener, so no payload can ever become markup.

let uid = 0;

/** A fresh element id, unique in this page (labels and error links). */
export function nextId(prefix) {
  uid += 1;
  return `${prefix || 'f'}-${uid}`;
}

/**
 * h('button', {class: 'btn', onclick: fn, type: 'button'}, 'text', child)
 * Attributes: class, text, on<event> (functions), boolean true → empty
 * attribute, false/null/undefined → left out; everything else by
 * setAttribute. Children: nodes, strings (as text), arrays, null.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  let selectValue = null;
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value' && tag === 'select') selectValue = String(v);
      else if (k === 'value' && (tag === 'input' || tag === 'textarea')) el.value = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  if (selectValue !== null) el.value = selectValue;
  return el;
}

/** Append children (nodes, strings, arrays, null) to el. */
export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

/** Remove every child of el. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Replace the children of el with children. */
export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}
