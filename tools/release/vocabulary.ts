/**
 * Lines a reference answer shares with the contract a student is given, and which are
 * therefore not leaks: each one with the reason it belongs to the question. Keep this list
 * short; a line of reasoning or of a design never belongs here.
 */
export const sharedVocabulary: readonly { line: string; reason: string }[] = [
  {
    line: 'INSERT INTO entries (transaction_id, account_id, amount_minor, currency)',
    reason: "chapter 2's contract names the entries table's columns; the checks write rows with them",
  },
  { line: "case 'before the first INSERT':", reason: "2.4's crash points are named in the answer type and the text" },
  { line: "case 'after the first INSERT':", reason: "2.4's crash points are named in the answer type and the text" },
  { line: "case 'after the second INSERT':", reason: "2.4's crash points are named in the answer type and the text" },
];
