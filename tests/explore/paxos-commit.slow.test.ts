/**
 * The explorer against TLC on the TLA+ Examples' Paxos Commit configuration (RM = 2, three
 * acceptors, ballots {0, 1}). The figures are those published with the spec in
 * github.com/tlaplus/Examples, specifications/transaction_commit/manifest.json. About two
 * seconds of CPU, so it runs with `npm run test:slow` and in `npm run bench`, not in `npm test`.
 */
import { expect, test } from 'vitest';
import { createPaxosCommitModel, invariants } from '../../tools/bench/paxos-commit/model.ts';
import { exploreEncoded } from '../../tools/explore/encoded.ts';

test("the explorer counts Paxos Commit's states exactly as TLC does", () => {
  const { figures, violations } = exploreEncoded(createPaxosCommitModel(), { invariants });
  expect(violations).toEqual([]);
  expect({ states: figures.states, generated: figures.generated, depth: figures.depth }).toEqual({
    states: 1_321_761,
    generated: 16_959_159,
    depth: 28,
  });
});
