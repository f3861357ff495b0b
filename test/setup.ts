import { skipTokenCreationStacks } from "../stacks/token-traces";

// In every test file, as in synth: specs that build stacks without stacks/app.ts get it too.
skipTokenCreationStacks();
