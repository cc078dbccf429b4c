type Command<Type extends string, Data> = { type: Type; data: Data; metadata: { now: string } };

/** What the receipts decider must know of the chat itself, read from the chat's state just before. */
export type ChatFacts = { exists: boolean; isMember: boolean; lastSeq: number };

export type MarkDelivered = Command<'MarkDelivered', { chatId: string; userId: string; seq: number; chat: ChatFacts }>;
export type MarkRead = Command<'MarkRead', { chatId: string; userId: string; seq: number; chat: ChatFacts }>;

export type ReceiptCommand = MarkDelivered | MarkRead;
