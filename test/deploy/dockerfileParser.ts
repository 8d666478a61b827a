/**
 * Just enough of a Dockerfile parser to check its rules without a Docker
 * engine: joins continuation lines, drops comments, splits into stages.
 */
export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  /** The FROM image or earlier stage name. */
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

export function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (pending !== '' && line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = `${pending}${line}`.trim();
    pending = '';
    const match = /^(\S+)\s*(.*)$/.exec(full);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.replace(/\s+/g, ' ').trim() });
  }
  return instructions;
}

export function parseStages(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of parseInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const parts = instruction.args.split(' ').filter((p) => !p.startsWith('--'));
      const asIndex = parts.findIndex((p) => p.toUpperCase() === 'AS');
      stages.push({ from: parts[0]!, name: asIndex >= 0 ? parts[asIndex + 1] : undefined, instructions: [] });
    } else {
      const current = stages.at(-1);
      if (!current) throw new Error(`${instruction.keyword} before the first FROM`);
      current.instructions.push(instruction);
    }
  }
  return stages;
}

/** Instructions of a stage including those inherited from the stages it is built FROM. */
export function effectiveInstructions(stages: Stage[], stage: Stage): Instruction[] {
  const parent = stages.find((s) => s.name !== undefined && s.name === stage.from);
  return parent ? [...effectiveInstructions(stages, parent), ...stage.instructions] : stage.instructions;
}

/** The external image a stage ultimately starts from. */
export function baseImage(stages: Stage[], stage: Stage): string {
  const parent = stages.find((s) => s.name !== undefined && s.name === stage.from);
  return parent ? baseImage(stages, parent) : stage.from;
}

/** JSON (exec) form arguments of CMD/ENTRYPOINT/HEALTHCHECK CMD. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return parsed as string[];
}
