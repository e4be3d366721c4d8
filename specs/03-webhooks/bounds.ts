/** Seed and run count of chapter 3's random checks; printed with every result that uses them. */
export const PROPERTY_SEED = 2026;
export const PROPERTY_RUNS = 300;
