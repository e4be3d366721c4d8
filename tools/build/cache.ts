/**
 * The incremental build's record, kept outside tracked files (`.cache/build.json`, ignored by
 * git): per step, the hash of its inputs and of its outputs as the step left them, and what
 * the step reported (so that a skipped step reports the same). A step is skipped when both
 * hashes still match: an input edited, an output edited by hand or deleted, a new file in a
 * module's folder, or a cold cache (a fresh clone, CI, `--force`) all run it again.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashFiles } from './inputs.ts';

export interface StepRecord<TReport> {
  inputs: string;
  outputs: string;
  /** The output files, so that their hash can be checked again. */
  outputFiles: string[];
  report: TReport;
}

export class BuildCache {
  private readonly path: string;
  private records: Record<string, StepRecord<unknown>>;

  constructor(
    private readonly root: string,
    /** Ignore what is recorded (every step runs), but still record the new results. */
    private readonly force = false,
  ) {
    this.path = join(root, '.cache', 'build.json');
    this.records = {};
    if (!force && existsSync(this.path)) {
      try {
        this.records = JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, StepRecord<unknown>>;
      } catch {
        this.records = {}; // an unreadable cache is a cold cache
      }
    }
  }

  /** The recorded report of `step` when its inputs and outputs are unchanged; else undefined. */
  upToDate<TReport>(step: string, inputs: readonly string[]): TReport | undefined {
    const record = this.records[step];
    if (!record || this.force) return undefined;
    if (record.inputs !== hashFiles(inputs, this.root)) return undefined;
    if (record.outputFiles.some((file) => !existsSync(join(this.root, file)))) return undefined;
    if (record.outputs !== hashFiles(record.outputFiles.map((file) => join(this.root, file)), this.root)) return undefined;
    return record.report as TReport;
  }

  /** Record a step that ran: its inputs as they are now (a step may rewrite one), outputs, report. */
  record<TReport>(step: string, inputs: readonly string[], outputFiles: readonly string[], report: TReport): void {
    const outputs = [...new Set(outputFiles)].sort();
    this.records[step] = {
      inputs: hashFiles(inputs, this.root),
      outputs: hashFiles(outputs.map((file) => join(this.root, file)), this.root),
      outputFiles: outputs,
      report,
    };
  }

  /** What is recorded for a step (for a parent build to merge a child's work). */
  entry<TReport>(step: string): StepRecord<TReport> | undefined {
    return this.records[step] as StepRecord<TReport> | undefined;
  }

  put<TReport>(step: string, record: StepRecord<TReport>): void {
    this.records[step] = record;
  }

  /** Forget a step (it failed, or was interrupted). */
  forget(step: string): void {
    delete this.records[step];
  }

  save(): void {
    mkdirSync(join(this.root, '.cache'), { recursive: true });
    writeFileSync(this.path, JSON.stringify(this.records, null, 1));
  }
}
