/**
 * A tiny, strict XML reader for tests of generated SVG: elements, attributes, text; throws on
 * anything not well-formed (unbalanced or crossed tags, unquoted or repeated attributes, a bare
 * `&` or `<` in text, unknown entities, content after the root).
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The text directly inside, entities decoded. */
  text: string;
  parent?: XmlElement;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string, at: number): string {
  return s.replace(/&([^;]*);|&/g, (m, name: string | undefined) => {
    if (name === undefined) throw new Error(`bare & near offset ${at}`);
    if (name in ENTITIES) return ENTITIES[name];
    if (/^#\d+$/.test(name)) return String.fromCodePoint(Number(name.slice(1)));
    if (/^#x[0-9a-f]+$/i.test(name)) return String.fromCodePoint(parseInt(name.slice(2), 16));
    throw new Error(`unknown entity ${m} near offset ${at}`);
  });
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const name = /[A-Za-z_:][\w:.-]*/y;
  const space = () => {
    while (i < xml.length && /\s/.test(xml[i])) i++;
  };
  while (i < xml.length) {
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
    } else if (xml.startsWith('<?', i)) {
      const end = xml.indexOf('?>', i);
      if (end < 0) throw new Error('unterminated declaration');
      i = end + 2;
    } else if (xml.startsWith('</', i)) {
      i += 2;
      name.lastIndex = i;
      const m = name.exec(xml);
      if (!m) throw new Error(`bad closing tag at ${i}`);
      i += m[0].length;
      space();
      if (xml[i] !== '>') throw new Error(`bad closing tag at ${i}`);
      i++;
      const open = stack.pop();
      if (!open || open.name !== m[0]) throw new Error(`</${m[0]}> closes <${open?.name ?? 'nothing'}> at ${i}`);
    } else if (xml[i] === '<') {
      i++;
      name.lastIndex = i;
      const m = name.exec(xml);
      if (!m) throw new Error(`bad tag at ${i}`);
      i += m[0].length;
      const element: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
      for (;;) {
        const before = i;
        space();
        if (xml.startsWith('/>', i) || xml[i] === '>') break;
        if (i === before) throw new Error(`no space before attribute at ${i}`);
        name.lastIndex = i;
        const a = name.exec(xml);
        if (!a) throw new Error(`bad attribute at ${i} in <${element.name}>`);
        i += a[0].length;
        if (xml[i] !== '=' || (xml[i + 1] !== '"' && xml[i + 1] !== "'")) throw new Error(`attribute ${a[0]} not quoted at ${i}`);
        const quote = xml[i + 1];
        const end = xml.indexOf(quote, i + 2);
        if (end < 0) throw new Error(`unterminated attribute ${a[0]}`);
        const raw = xml.slice(i + 2, end);
        if (raw.includes('<')) throw new Error(`< in attribute ${a[0]}`);
        if (a[0] in element.attrs) throw new Error(`repeated attribute ${a[0]} in <${element.name}>`);
        element.attrs[a[0]] = decode(raw, i);
        i = end + 1;
      }
      const parent = stack.at(-1);
      if (parent) {
        element.parent = parent;
        parent.children.push(element);
      } else if (root) throw new Error('a second root element');
      else root = element;
      if (xml.startsWith('/>', i)) i += 2;
      else {
        i++;
        stack.push(element);
      }
    } else {
      const end = xml.indexOf('<', i);
      const text = xml.slice(i, end < 0 ? xml.length : end);
      const parent = stack.at(-1);
      if (!parent) {
        if (text.trim()) throw new Error(`text outside the root at ${i}`);
      } else parent.text += decode(text, i);
      i = end < 0 ? xml.length : end;
    }
  }
  if (stack.length) throw new Error(`<${stack.at(-1)!.name}> never closed`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element below `e` (depth first, document order), `e` included. */
export function allElements(e: XmlElement): XmlElement[] {
  return [e, ...e.children.flatMap(allElements)];
}

export const hasClass = (e: XmlElement, c: string) => (e.attrs.class ?? '').split(/\s+/).includes(c);

/** All text inside `e`, children included. */
export function textOf(e: XmlElement): string {
  return e.text + e.children.map(textOf).join('');
}
