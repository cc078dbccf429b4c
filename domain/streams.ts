/** Stream names: EventStoreDB's category convention (`<category>-<id>`). */
export const chatStreamName = (chatId: string) => `chat-${chatId}`;
export const receiptsStreamName = (chatId: string) => `receipts-${chatId}`;
