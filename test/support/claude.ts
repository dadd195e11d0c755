// The simulated Claude Code of src/agents/claude, under the name the tests use.
export { SimulatedClaude as FakeClaude } from '../../src/agents/claude/simulator.js';
