import { historyProjection } from './history/historyProjection.ts';
import { inboxProjection } from './inbox/inboxProjection.ts';
import { membershipProjection } from './membership/membershipProjection.ts';
import { receiptsProjection } from './receipts/receiptsProjection.ts';
import type { Projection } from './projection.ts';

/** Every read model, at the version this code builds. */
export const allProjections: readonly Projection[] = [membershipProjection, historyProjection, inboxProjection, receiptsProjection];
