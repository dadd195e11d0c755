// The simulated Claude Code of src/simulate, under the name the tests use.
export { SimulatedClaude as FakeClaude } from '../../src/simulate/claude.js';
