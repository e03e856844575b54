/**
 * Sandbox safety: patterns/ must bundle as Temporal workflow code. The bundler rejects Node built-ins
 * (other than its stubs) and server-side Temporal packages, so a successful bundle proves the core imports
 * nothing it may not.
 */
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../../bin/bundle';

describe('patterns/ in a Temporal workflow bundle', () => {
  it('bundles a workflow that imports patterns/index and calls react', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: join(import.meta.dirname, 'fixtures', 'pattern-probe-workflow.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    expect(code).toContain('patternProbe');
    // jsonata and typebox made it in; no Node built-ins were pulled through
    expect(code).toContain('jsonata');
    expect(code).not.toMatch(/require\(["'](node:)?(fs|net|child_process|crypto)["']\)/);
  }, 120_000);

  it('keeps validation (TypeBox) out of the thred workflow bundle', async () => {
    // Temporal instantiates the bundle's modules per cached workflow: TypeBox's ~3,000 modules cost ~3 MB a thred.
    const { code } = await workflowBundle();
    expect(code).toContain('./patterns/machine.ts');
    expect(code).not.toContain('./node_modules/typebox/');
    expect(code).not.toContain('./patterns/validate.ts');
  }, 120_000);
});
