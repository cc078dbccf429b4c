/**
 * The all-members watermark of a group: the lowest delivered (read) seq among its
 * members. Marks are max-merged, so loading them from the read model and then applying
 * events it already holds changes nothing.
 */
export const createGroupWatermarks = (initial: { user_id: string; delivered_seq: number; read_seq: number }[]) => {
  const delivered = new Map(initial.map((r) => [r.user_id, r.delivered_seq]));
  const read = new Map(initial.map((r) => [r.user_id, r.read_seq]));
  const sent = { delivered: 0, read: 0 };
  const raise = (marks: Map<string, number>, user: string, seq: number) => marks.set(user, Math.max(marks.get(user) ?? 0, seq));
  const lowest = (marks: Map<string, number>, members: readonly string[]) =>
    members.length === 0 ? 0 : Math.min(...members.map((m) => marks.get(m) ?? 0));
  return {
    apply(kind: 'delivered' | 'read', user: string, seq: number) {
      raise(delivered, user, seq);
      if (kind === 'read') raise(read, user, seq);
    },
    /** The all-members watermarks that moved since last asked (one per kind at most). */
    advanced(members: readonly string[]): { kind: 'delivered' | 'read'; seq: number }[] {
      const out: { kind: 'delivered' | 'read'; seq: number }[] = [];
      for (const kind of ['delivered', 'read'] as const) {
        const seq = lowest(kind === 'read' ? read : delivered, members);
        if (seq > sent[kind]) {
          sent[kind] = seq;
          out.push({ kind, seq });
        }
      }
      return out;
    },
  };
};
