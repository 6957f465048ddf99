// DOM helpers the demo's shell and pages share: elements, labelled option pickers, cards.

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
  if (text) made.textContent = text;
  return made;
}

/** A labelled <select>; `onChange` gets the chosen value. */
export function choice(label: string, id: string, options: readonly (readonly [value: string, text: string])[], selected: string, onChange: (value: string) => void): HTMLLabelElement {
  const wrapper = element('label', {}, label);
  const picker = element('select', { id });
  for (const [value, text] of options) {
    const option = element('option', { value }, text);
    option.selected = value === selected;
    picker.append(option);
  }
  picker.onchange = () => onChange(picker.value);
  wrapper.append(picker);
  return wrapper;
}

/** A titled card holding `children`. */
export function card(title: string, ...children: HTMLElement[]): HTMLElement {
  const section = element('section', { class: 'card' });
  section.append(element('h3', {}, title), ...children);
  return section;
}
