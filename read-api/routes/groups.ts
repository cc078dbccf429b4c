import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { notFound } from '../../domain/errors.ts';
import type { RouteDeps } from '../apiDeps.ts';
import * as s from '../schemas.ts';
import { groupToWire, sendAckToWire, sendInputOf } from '../wire.ts';
import { assertSender } from './messages.ts';

/** Group chats: create, read, add and remove members, send. */
export const groupRoutes: FastifyPluginAsync<RouteDeps> = async (app, { commands, readModels, auth, fresh }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const q = readModels.queries;

  r.post('/v1/groups', {
    schema: { body: s.createGroupBody, response: { 201: s.groupSchema } },
    onRequest: auth,
    handler: async (request, reply) => {
      const group = await commands.createGroup({ creatorId: request.caller.userId, name: request.body.name, memberIds: request.body.member_ids });
      return reply.code(201).send(groupToWire(group));
    },
  });

  r.get('/v1/groups/:id', {
    schema: { params: s.groupIdParams, response: { 200: s.groupSchema } },
    onRequest: auth,
    preHandler: fresh,
    handler: async (request) => {
      const chat = await q.chat(request.params.id);
      if (!chat || chat.chat_type !== 'group' || !(await q.isMember(chat.chat_id, request.caller.userId))) throw notFound(`no group ${request.params.id}`);
      const members = (await q.members(chat.chat_id)).map((m) => ({ userId: m.user_id, role: m.role }));
      return groupToWire({ chatId: chat.chat_id, name: chat.name ?? '', members });
    },
  });

  r.post('/v1/groups/:id/members', {
    schema: { params: s.groupIdParams, body: s.addMembersBody, response: { 200: s.groupSchema } },
    onRequest: auth,
    handler: async (request) =>
      groupToWire(await commands.addMembers({ chatId: request.params.id, by: request.caller.userId, userIds: request.body.user_ids })),
  });

  r.delete('/v1/groups/:id/members/:user_id', {
    schema: { params: s.groupMemberParams },
    onRequest: auth,
    handler: async (request, reply) => {
      await commands.removeMember({ chatId: request.params.id, by: request.caller.userId, userId: request.params.user_id });
      return reply.code(204).send();
    },
  });

  r.post('/v1/groups/:id/messages', {
    schema: { params: s.groupIdParams, body: s.sendGroupBody, response: { 200: s.sendAckSchema, 201: s.sendAckSchema } },
    onRequest: auth,
    handler: async (request, reply) => {
      const b = request.body;
      assertSender(b.sender_id, request.caller.userId);
      const ack = await commands.sendMessage(sendInputOf(request.caller.userId, { ...b, chat_id: request.params.id }));
      return reply.code(ack.duplicate ? 200 : 201).send(sendAckToWire(ack));
    },
  });
};
