import { expect } from 'vitest';
import { isChatError, type ErrorCode } from '../domain/errors.ts';
import type { Decider } from '../domain/decider.ts';

/**
 * Given/when/then specs for a decider, in the manner of Emmett's DeciderSpecification:
 * `given(events).when(command).then(events)` or `.thenThrows(code)`.
 */
export const deciderSpec =
  <S, C, E>(decider: Decider<S, C, E>) =>
  (given: readonly E[]) => ({
    when: (command: C) => {
      const run = () => decider.decide(command, given.reduce(decider.evolve, decider.initialState()));
      return {
        then: (expected: readonly E[]) => expect(run()).toEqual(expected),
        thenNothing: () => expect(run()).toEqual([]),
        thenThrows: (code: ErrorCode, message?: RegExp) => {
          let error: unknown;
          try {
            run();
          } catch (e) {
            error = e;
          }
          expect(isChatError(error), `expected a ChatError ${code}, got ${String(error)}`).toBe(true);
          if (!isChatError(error)) return;
          expect(error.code).toBe(code);
          if (message) expect(error.message).toMatch(message);
        },
      };
    },
  });
