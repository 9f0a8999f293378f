/** `POST /topics/{topic}/messages`: publish one message (normal, timed, ordered or transactional). */
import { config } from '../../services/cluster';
import { send } from '../../services/send';
import { MAX_REQUEST_BYTES } from './config';
import { answer, type ProtocolContext } from './context';
import { publishAnswer, parsePublish, planPublish } from './messages';
import { flaremqTopic, parseNamespace } from './namespace';
import { bodyText } from './request';
import { md5Hex } from './signature';
import { sendHalfMessage } from './transactional';

export async function publish(c: ProtocolContext): Promise<Response> {
  const ns = parseNamespace(c.req.query('ns'));
  const topic = flaremqTopic(ns, c.req.param('topic') ?? '');
  const message = parsePublish(bodyText(c.get('body')), MAX_REQUEST_BYTES);
  const plan = planPublish(topic, message, config(c.env));
  const bodyMd5 = await md5Hex(plan.request.messages[0].body);
  if (plan.transCheckImmunitySeconds !== undefined) {
    const half = await sendHalfMessage(c.env, ns, plan.request, plan.transCheckImmunitySeconds);
    return answer(c, 201, publishAnswer(half.messageId, bodyMd5, half.receiptHandle));
  }
  const [result] = await send(c.env, plan.request);
  return answer(c, 201, publishAnswer(result.uniqueKey, bodyMd5));
}
