import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { findMessage } from '../../commands/findMessage.ts';
import { forbidden, notFound, unavailable } from '../../domain/errors.ts';
import type { RouteDeps } from '../apiDeps.ts';
import * as s from '../schemas.ts';
import { plainJson, sendJsonBody } from '../plainJson.ts';
import { sendAckToWire, sendInputOf } from '../wire.ts';

export const assertSender = (claimed: string | undefined, caller: string) => {
  if (claimed !== undefined && claimed !== caller) throw forbidden('sender_id is not the caller');
};

/** Sending, history, edits, deletes, reactions and receipts of messages. */
export const messageRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { commands, readModels, auth, fresh } = deps;
  const q = readModels.queries;
  // SQLite writes a history page's JSON itself; other stores answer objects, stringified.
  const { historyJson } = readModels;

  r.post('/v1/messages', {
    schema: { body: s.sendDirectBody, response: { 200: s.sendAckSchema, 201: s.sendAckSchema } },
    onRequest: auth,
    handler: async (request, reply) => {
      const b = request.body;
      assertSender(b.sender_id, request.caller.userId);
      const ack = await commands.sendMessage(sendInputOf(request.caller.userId, b));
      return reply.code(ack.duplicate ? 200 : 201).send(sendAckToWire(ack));
    },
  });

  r.get('/v1/messages', {
    schema: { querystring: s.historyQuery, response: { 200: s.historySchema } },
    serializerCompiler: plainJson,
    onRequest: auth,
    preHandler: fresh,
    handler: async (request, reply) => {
      const { chat_id, before, after, limit } = request.query;
      const viewer = request.caller.userId;
      const page = { ...(before !== undefined && { before }), ...(after !== undefined && { after }), limit };
      // Not a member, or no such chat: the same answer, so membership is not revealed.
      const noChat = () => notFound(`no chat ${chat_id}`);
      if (historyJson) {
        const json = await historyJson(chat_id, viewer, page);
        if (json === null) throw noChat();
        return sendJsonBody(reply, json);
      }
      if (!(await q.isMember(chat_id, viewer))) throw noChat();
      return q.history(chat_id, viewer, page);
    },
  });

  r.patch('/v1/messages/:message_id', {
    schema: { params: s.messageIdParams, body: s.editBody, response: { 200: s.messageSchema } },
    onRequest: auth,
    handler: async (request) => {
      const { message_id } = request.params;
      const { chatId, seq, position } = await commands.editMessage({ messageId: message_id, by: request.caller.userId, content: request.body.content });
      await readModels.projected(chatId, position, deps.config.readWaitMs).catch(() => {
        throw unavailable('the edit is stored; its read model is behind, read it again shortly');
      });
      return (await q.message(chatId, seq, request.caller.userId))!;
    },
  });

  r.delete('/v1/messages/:message_id', {
    schema: { params: s.messageIdParams },
    onRequest: auth,
    handler: async (request, reply) => {
      await commands.deleteMessage({ messageId: request.params.message_id, by: request.caller.userId });
      return reply.code(204).send();
    },
  });

  for (const method of ['PUT', 'DELETE'] as const) {
    r.route({
      method,
      url: '/v1/messages/:message_id/reactions/:emoji',
      schema: { params: s.reactionParams },
      onRequest: auth,
      handler: async (request, reply) => {
        const input = { messageId: request.params.message_id, by: request.caller.userId, emoji: request.params.emoji };
        await (method === 'PUT' ? commands.react(input) : commands.unreact(input));
        return reply.code(204).send();
      },
    });
  }

  r.get('/v1/messages/:message_id/receipts', {
    schema: { params: s.messageIdParams, response: { 200: s.receiptsSchema } },
    onRequest: auth,
    preHandler: fresh,
    handler: async (request) => {
      // The message's chat from the log (its id is its MessageSent event's): not known to a non-member either.
      const message = await findMessage(deps.store, request.params.message_id);
      if (!message || !(await q.isMember(message.chatId, request.caller.userId))) throw notFound(`no message ${request.params.message_id}`);
      return { receipts: await q.receipts(message.chatId) };
    },
  });
};

