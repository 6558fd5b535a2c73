// `npx tsx scripts/checkpoint-tool.ts <command> …`: inspects ESLM Playground checkpoint
// files and turns a resumable checkpoint into a frozen reference model.
// Exit status: 0 on success, 1 when a file is invalid or cannot be read or written,
// 2 on invalid arguments.
import { readFileSync, writeFileSync } from 'node:fs';
import { checkpointSummary, decodeSafetensors, loadCheckpoint, saveCheckpoint } from '../src/train/checkpoint.ts';

const USAGE = `usage:
  npx tsx scripts/checkpoint-tool.ts inspect FILE.safetensors
      Validate a checkpoint and print its summary, metadata and tensor shapes.
  npx tsx scripts/checkpoint-tool.ts strip-optimizer IN.safetensors OUT.safetensors
      Write a copy without AdamW moments: a parameters-only reference or teacher model,
      about a third of the size.`;

function inspect(path: string): void {
  const bytes = readFileSync(path);
  const checkpoint = loadCheckpoint(bytes);
  const { tensors, metadata } = decodeSafetensors(bytes);
  console.log(checkpointSummary(checkpoint));
  console.log(`file: ${path}, ${bytes.length} bytes`);
  for (const [key, value] of Object.entries(metadata)) {
    const preview = value.length > 200 ? `${value.slice(0, 200)}… (${value.length} characters)` : value;
    console.log(`metadata ${key}: ${preview}`);
  }
  for (const [name, tensor] of tensors) console.log(`tensor ${name} ${tensor.dtype} [${tensor.shape.join(', ')}]`);
}

function stripOptimizer(input: string, output: string): void {
  const checkpoint = loadCheckpoint(readFileSync(input));
  const bytes = saveCheckpoint({ ...checkpoint, adam: undefined });
  writeFileSync(output, bytes);
  console.log(`wrote ${output} (${bytes.length} bytes): ${checkpointSummary(loadCheckpoint(bytes))}`);
}

function main(args: string[]): number {
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  const expectedArguments: Record<string, number> = { inspect: 1, 'strip-optimizer': 2 };
  if (expectedArguments[command] === undefined || rest.length !== expectedArguments[command]) {
    console.error(`invalid arguments: ${args.join(' ')}\n${USAGE}`);
    return 2;
  }
  try {
    if (command === 'inspect') inspect(rest[0]!);
    else stripOptimizer(rest[0]!, rest[1]!);
    return 0;
  } catch (error) {
    console.error(`checkpoint-tool ${command} failed: ${(error as Error).message}`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
