import { describe, expect, it } from 'vitest';
import {
  formatProperties,
  parseProperties,
  parsePublish,
  parseReceiptHandles,
  planPublish,
} from '../../src/workers/http-protocol/messages';
import { ProtocolError } from '../../src/workers/http-protocol/errors';
import { childText, el, escapeText, parseXml, renderXml, XmlError } from '../../src/workers/http-protocol/xml';
import { parseClusterConfig } from '../../src/core/config';

/** What the official Node SDK (helper.toXMLBuffer) sends for a publish. */
const SDK_PUBLISH =
  '<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mq.aliyuncs.com/doc/v1/">' +
  '<MessageBody><![CDATA[hello <flaremq> & "friends"]]></MessageBody><MessageTag><![CDATA[TagA]]></MessageTag>' +
  '<Properties><![CDATA[KEYS:order-1|a:1|__SHARDINGKEY:s-1]]></Properties></Message>';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    if (err instanceof XmlError) return 'XmlError';
    return `other: ${String(err)}`;
  }
  return 'no error';
}

describe('parseXml', () => {
  it('reads the SDK publish document', () => {
    const doc = parseXml(SDK_PUBLISH);
    expect(doc.name).toBe('Message');
    expect(doc.attributes.xmlns).toBe('http://mq.aliyuncs.com/doc/v1/');
    expect(childText(doc, 'MessageBody')).toBe('hello <flaremq> & "friends"');
    expect(childText(doc, 'MessageTag')).toBe('TagA');
    expect(childText(doc, 'Nope')).toBeUndefined();
  });

  it('decodes the predefined entities and character references, and keeps text exactly', () => {
    const doc = parseXml(
      '<a><b>&lt;x&gt; &amp; &quot;&apos; &#65;&#x42;&#x1F600;</b><c>line1\r\nline2\t</c><d/><e></e></a>',
    );
    expect(childText(doc, 'b')).toBe(`<x> & "' AB😀`);
    expect(childText(doc, 'c')).toBe('line1\r\nline2\t');
    expect(childText(doc, 'd')).toBe('');
    expect(childText(doc, 'e')).toBe('');
  });

  it('skips comments and processing instructions and concatenates CDATA with text', () => {
    const doc = parseXml(
      '<?xml version="1.0"?>\n<!-- hi --><a><?pi x?><b>one<![CDATA[<two>]]>three<!-- no --></b></a>\n',
    );
    expect(childText(doc, 'b')).toBe('one<two>three');
  });

  it.each([
    ['a DOCTYPE (no entity declarations, no external entities)', '<!DOCTYPE a [<!ENTITY x "yyyy">]><a>&x;</a>'],
    ['an unknown entity', '<a>&x;</a>'],
    ['a bare ampersand', '<a>fish & chips</a>'],
    ['a character reference to NUL', '<a>&#0;</a>'],
    ['mismatched tags', '<a><b></a></b>'],
    ['an unclosed element', '<a><b></b>'],
    ['two roots', '<a/><b/>'],
    ['text outside the root', 'x<a/>'],
    ['no root', '<?xml version="1.0"?>'],
    ['an unterminated CDATA', '<a><![CDATA[x</a>'],
    ['an unquoted attribute', '<a x=1/>'],
    ['a duplicate attribute', '<a x="1" x="2"/>'],
    ['a bare <', '<a>1 < 2</a>'],
  ])('refuses %s', (_what, xml) => {
    expect(codeOf(() => parseXml(xml))).toBe('XmlError');
  });

  it('stops at its limits of size, depth and element count', () => {
    expect(codeOf(() => parseXml('<a>' + 'x'.repeat(100) + '</a>', { maxLength: 50 }))).toBe('XmlError');
    expect(codeOf(() => parseXml('<a><a><a><a></a></a></a></a>', { maxDepth: 3 }))).toBe('XmlError');
    expect(codeOf(() => parseXml('<a>' + '<b/>'.repeat(20) + '</a>', { maxElements: 10 }))).toBe('XmlError');
    expect(parseXml('<a><a><a></a></a></a>', { maxDepth: 3 }).name).toBe('a');
  });
});

describe('writing XML', () => {
  it('escapes markup, carriage returns and control characters, and round-trips through the reader', () => {
    const text = 'a<b>&c "d" \'e\' ]]> \r\n\t\u0001 ü 😀';
    expect(escapeText(text)).toBe('a&lt;b&gt;&amp;c "d" \'e\' ]]&gt; &#13;\n\t&#1; ü 😀');
    const doc = renderXml(el('Message', [el('MessageBody', text), el('PublishTime', 1700000000000)]));
    expect(
      doc.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Message xmlns="http://mq.aliyuncs.com/doc/v1/"><MessageBody>',
      ),
    ).toBe(true);
    const back = parseXml(doc);
    expect(childText(back, 'MessageBody')).toBe(text);
    expect(childText(back, 'PublishTime')).toBe('1700000000000');
  });

  it('replaces lone surrogates', () => {
    expect(escapeText('x\ud800y\udc00z')).toBe('x\ufffdy\ufffdz');
  });
});

describe('protocol documents', () => {
  const limits = parseClusterConfig({});

  it('reads properties as k:v|k:v', () => {
    expect(parseProperties('a:1|b:x:y||c:')).toEqual({ a: '1', b: 'x:y', c: '' });
    expect(codeOf(() => parseProperties('novalue'))).toBe('InvalidArgument');
    expect(codeOf(() => parseProperties(':v'))).toBe('InvalidArgument');
    expect(codeOf(() => parseProperties('a:1|a:2'))).toBe('InvalidArgument');
  });

  it('writes properties, leaving out what the format cannot carry', () => {
    expect(formatProperties({ a: '1', KEYS: 'k1 k2', 'b|x': '2', c: 'x|y', d: 'x:y', e: '' })).toBe('a:1|KEYS:k1 k2');
  });

  it('turns a publish into a send request with keys, tag, properties and sharding key', () => {
    const plan = planPublish('T', parsePublish(SDK_PUBLISH, 1 << 20), limits, 1000);
    const m = plan.request.messages[0];
    expect(new TextDecoder().decode(m.body)).toBe('hello <flaremq> & "friends"');
    expect(m).toMatchObject({ tags: 'TagA', keys: ['order-1'], properties: { a: '1', __SHARDINGKEY: 's-1' } });
    expect(plan.request.shardingKey).toBe('s-1');
    expect(plan.request.deliverAt).toBeUndefined();
    expect(plan.transCheckImmunitySeconds).toBeUndefined();
  });

  it('reads a timed message from __STARTDELIVERTIME and a transactional one from __TransCheckT', () => {
    const timed = planPublish('T', { body: 'x', tag: '', properties: { __STARTDELIVERTIME: '61000' } }, limits, 1000);
    expect(timed.request.deliverAt).toBe(61000);
    expect(timed.request.messages[0].properties.__STARTDELIVERTIME).toBe('61000');
    const past = planPublish('T', { body: 'x', tag: '', properties: { __STARTDELIVERTIME: '500' } }, limits, 1000);
    expect(past.request.deliverAt).toBeUndefined();
    const trans = planPublish('T', { body: 'x', tag: '', properties: { __TransCheckT: '10' } }, limits, 1000);
    expect(trans.transCheckImmunitySeconds).toBe(10);
  });

  it.each([
    ['an empty body', '<Message><MessageBody></MessageBody></Message>', 'InvalidArgument'],
    ['no body', '<Message><MessageTag>A</MessageTag></Message>', 'InvalidArgument'],
    ['another root', '<Messages><MessageBody>x</MessageBody></Messages>', 'InvalidArgument'],
    ['a body twice', '<Message><MessageBody>x</MessageBody><MessageBody>y</MessageBody></Message>', 'MalformedXML'],
    ['broken XML', '<Message><MessageBody>x</Message>', 'MalformedXML'],
  ])('refuses a publish with %s', (_what, xml, code) => {
    expect(codeOf(() => parsePublish(xml, 1 << 20))).toBe(code);
  });

  it.each([
    ['a tag with a space', { body: 'x', tag: 'A B', properties: {} }],
    ['a bad delivery time', { body: 'x', tag: '', properties: { __STARTDELIVERTIME: 'soon' } }],
    [
      'a delivery time past the maximum delay',
      { body: 'x', tag: '', properties: { __STARTDELIVERTIME: String(1000 + 4 * 86400_000) } },
    ],
    [
      'timed and transactional at once',
      { body: 'x', tag: '', properties: { __STARTDELIVERTIME: '5000', __TransCheckT: '10' } },
    ],
    ['a body over the maximum message size', { body: 'x'.repeat(1024 * 1024 + 1), tag: '', properties: {} }],
  ])('refuses a publish with %s as InvalidArgument', (_what, publish) => {
    expect(codeOf(() => planPublish('T', publish, limits, 1000))).toBe('InvalidArgument');
  });

  it('reads receipt handles as the SDK sends them', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><ReceiptHandles xmlns="http://mq.aliyuncs.com/doc/v1/"><ReceiptHandle><![CDATA[h1]]></ReceiptHandle><ReceiptHandle><![CDATA[h2]]></ReceiptHandle></ReceiptHandles>';
    expect(parseReceiptHandles(xml, 1 << 20, 16)).toEqual(['h1', 'h2']);
    expect(codeOf(() => parseReceiptHandles('<ReceiptHandles/>', 1 << 20, 16))).toBe('MissingReceiptHandle');
    expect(
      codeOf(() =>
        parseReceiptHandles(
          '<ReceiptHandles>' + '<ReceiptHandle>h</ReceiptHandle>'.repeat(17) + '</ReceiptHandles>',
          1 << 20,
          16,
        ),
      ),
    ).toBe('InvalidArgument');
  });
});
