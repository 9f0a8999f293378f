/**
 * A small XML reader and writer for the RocketMQ HTTP protocol's documents
 * (`<Message>`, `<ReceiptHandles>`, and the answers), which are a root element
 * holding elements of text.
 *
 * The reader is safe by construction: it refuses DTDs (so no entity can be
 * declared, expanded or fetched), knows only the five predefined entities and
 * character references, and stops at a size, a depth and an element count.
 * It keeps text exactly as written (no line-ending normalization), so a
 * message body round-trips byte for byte.
 */

/** An element: its name as written (with any prefix), attributes, child elements and its text (character data and CDATA, concatenated). */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

export interface XmlLimits {
  /** Longest document, in UTF-16 code units. @defaultValue 8 MiB */
  maxLength?: number;
  /** Deepest nesting of elements. @defaultValue 8 */
  maxDepth?: number;
  /** Most elements in the document. @defaultValue 1024 */
  maxElements?: number;
}

/** The document is not XML this reader accepts; the message says where and why. */
export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlError';
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9._:-]*/;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(raw: string, at: number): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&\s]{0,10});?/g, (match, ref: string) => {
    if (!match.endsWith(';')) throw new XmlError(`an '&' at ${at} does not start an entity; write &amp;`);
    if (ref in PREDEFINED) return PREDEFINED[ref];
    const hex = /^#x([0-9A-Fa-f]{1,6})$/.exec(ref);
    const dec = /^#([0-9]{1,7})$/.exec(ref);
    const cp = hex ? parseInt(hex[1], 16) : dec ? parseInt(dec[1], 10) : NaN;
    if (Number.isNaN(cp))
      throw new XmlError(
        `unknown entity &${ref}; near ${at} (only &lt; &gt; &amp; &quot; &apos; and character references)`,
      );
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp === 0)
      throw new XmlError(`character reference &${ref}; near ${at} is not a character`);
    return String.fromCodePoint(cp);
  });
}

/**
 * Parses a document with one root element. Accepts an XML declaration,
 * processing instructions and comments (skipped), elements with attributes,
 * text, entities and CDATA sections; refuses DOCTYPE and anything else.
 */
export function parseXml(input: string, limits: XmlLimits = {}): XmlElement {
  const maxLength = limits.maxLength ?? 8 * 1024 * 1024;
  const maxDepth = limits.maxDepth ?? 8;
  const maxElements = limits.maxElements ?? 1024;
  if (input.length > maxLength)
    throw new XmlError(`the document is ${input.length} characters; at most ${maxLength} are read`);
  let pos = input.charCodeAt(0) === 0xfeff ? 1 : 0;
  let elements = 0;
  let root: XmlElement | undefined;
  const stack: XmlElement[] = [];

  const fail = (what: string): never => {
    throw new XmlError(`${what} at character ${pos}`);
  };
  const skipUntil = (end: string, what: string): void => {
    const close = input.indexOf(end, pos);
    if (close < 0) fail(`unterminated ${what}`);
    pos = close + end.length;
  };

  while (pos < input.length) {
    const lt = input.indexOf('<', pos);
    const textEnd = lt < 0 ? input.length : lt;
    if (textEnd > pos) {
      const text = input.slice(pos, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(text, pos);
      else if (text.trim() !== '') fail('text outside the root element');
      pos = textEnd;
      continue;
    }
    // At '<'.
    if (input.startsWith('<?', pos)) {
      skipUntil('?>', 'processing instruction');
    } else if (input.startsWith('<!--', pos)) {
      pos += 4;
      skipUntil('-->', 'comment');
    } else if (input.startsWith('<![CDATA[', pos)) {
      const top = stack[stack.length - 1];
      if (!top) fail('CDATA outside the root element');
      const start = pos + 9;
      const close = input.indexOf(']]>', start);
      if (close < 0) fail('unterminated CDATA section');
      top!.text += input.slice(start, close);
      pos = close + 3;
    } else if (input.startsWith('<!', pos)) {
      fail('DOCTYPE and other declarations are not accepted');
    } else if (input.startsWith('</', pos)) {
      pos += 2;
      const name = NAME.exec(input.slice(pos, pos + 256))?.[0];
      if (!name) fail('a bad closing tag');
      pos += name!.length;
      while (pos < input.length && /\s/.test(input[pos])) pos++;
      if (input[pos] !== '>') fail(`closing tag </${name}> is not closed by '>'`);
      pos++;
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${name}> does not close <${open?.name ?? 'nothing'}>`);
      if (stack.length === 0) root = open;
    } else {
      pos += 1;
      if (root) fail('a second root element');
      const name = NAME.exec(input.slice(pos, pos + 256))?.[0];
      if (!name) fail("a '<' that starts no element (write &lt;)");
      pos += name!.length;
      if (++elements > maxElements) fail(`more than ${maxElements} elements`);
      if (stack.length >= maxDepth) fail(`elements nested deeper than ${maxDepth}`);
      const element: XmlElement = { name: name!, attributes: {}, children: [], text: '' };
      for (;;) {
        const spaceStart = pos;
        while (pos < input.length && /\s/.test(input[pos])) pos++;
        if (input.startsWith('/>', pos)) {
          pos += 2;
          stack[stack.length - 1]?.children.push(element);
          if (stack.length === 0) root = element;
          break;
        }
        if (input[pos] === '>') {
          pos++;
          stack[stack.length - 1]?.children.push(element);
          stack.push(element);
          break;
        }
        if (pos === spaceStart) fail(`a bad tag <${name}>`);
        const attr = NAME.exec(input.slice(pos, pos + 256))?.[0];
        if (!attr) fail(`a bad attribute in <${name}>`);
        pos += attr!.length;
        while (pos < input.length && /\s/.test(input[pos])) pos++;
        if (input[pos] !== '=') fail(`attribute ${attr} of <${name}> has no value`);
        pos++;
        while (pos < input.length && /\s/.test(input[pos])) pos++;
        const quote = input[pos];
        if (quote !== '"' && quote !== "'") fail(`attribute ${attr} of <${name}> is not quoted`);
        const close = input.indexOf(quote, pos + 1);
        if (close < 0) fail(`attribute ${attr} of <${name}> is not closed`);
        const value = input.slice(pos + 1, close);
        if (value.includes('<')) fail(`attribute ${attr} of <${name}> contains '<'`);
        if (attr! in element.attributes) fail(`attribute ${attr} of <${name}> is given twice`);
        element.attributes[attr!] = decodeEntities(value, pos);
        pos = close + 1;
      }
    }
  }
  if (stack.length > 0) throw new XmlError(`<${stack[stack.length - 1].name}> is not closed`);
  if (!root) throw new XmlError('the document has no root element');
  return root;
}

/** The local part of a name (`mq:Message` → `Message`). */
export const localName = (name: string): string => name.slice(name.indexOf(':') + 1);

/** The child elements named `name` (by local name). */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => localName(c.name) === name);
}

/** The text of the one child named `name`; undefined when absent; an XmlError when given twice. */
export function childText(element: XmlElement, name: string): string | undefined {
  const found = childrenNamed(element, name);
  if (found.length > 1) throw new XmlError(`<${name}> is given ${found.length} times in <${element.name}>`);
  return found[0]?.text;
}

// ---- writing ----

/** An element to write: text (or a number) or child elements. */
export interface XmlNode {
  name: string;
  content: string | number | XmlNode[];
}

export const el = (name: string, content: XmlNode['content']): XmlNode => ({ name, content });

/** What escapeText replaces: markup, CR, the control characters XML 1.0 cannot carry, and lone surrogates. */
/* eslint-disable no-control-regex -- those characters are what it finds */
const ESCAPED =
  /[&<>\r\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/* eslint-enable no-control-regex */

/**
 * Escapes text for element content: `& < >`, and as character references
 * carriage returns (which parsers would otherwise turn into line feeds) and
 * the control characters XML 1.0 cannot carry literally, so that lenient
 * parsers (xml2js, the Node SDK's) still read them back. A lone surrogate
 * becomes U+FFFD.
 */
export function escapeText(text: string): string {
  return text.replace(ESCAPED, (ch) => {
    switch (ch) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      default: {
        const cp = ch.charCodeAt(0);
        if (cp >= 0xd800 && cp <= 0xdfff) return '\ufffd';
        return `&#${cp};`;
      }
    }
  });
}

function write(node: XmlNode): string {
  const inner = Array.isArray(node.content) ? node.content.map(write).join('') : escapeText(String(node.content));
  return `<${node.name}>${inner}</${node.name}>`;
}

/** The protocol's XML namespace, on every answer's root element. */
export const MQ_XML_NAMESPACE = 'http://mq.aliyuncs.com/doc/v1/';

/** A whole document: declaration, then the root element with the protocol's namespace. */
export function renderXml(root: XmlNode): string {
  const body = write(root);
  const open = `<${root.name}>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root.name} xmlns="${MQ_XML_NAMESPACE}">${body.slice(open.length)}`;
}
