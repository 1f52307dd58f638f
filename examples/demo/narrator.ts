// How the demo talks: numbered steps in plain words, and the Pulumi CLI's own output indented
// beneath them, with every known credential masked.
import { redact } from "../../provider/errors";

const CLI_PREFIX = "    │ ";
const WIDTH = 100;

export class Narrator {
  private readonly secrets: string[] = [];

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  /** Values never to print, whatever the CLI or an error says. */
  keepSecret(...values: readonly string[]): void {
    this.secrets.push(...values);
  }

  get knownSecrets(): readonly string[] {
    return this.secrets;
  }

  step(number: number, title: string, explanation: string): void {
    this.write(`\nStep ${number}: ${title}\n${wrap(explanation, "  ")}\n`);
  }

  say(text: string): void {
    this.write(`${wrap(text, "  ")}\n`);
  }

  /** Line-buffered writers for the CLI's stdout and stderr; call the returned flush when the command ends. */
  cliOutput(): { readonly write: (chunk: string) => void; readonly flush: () => void } {
    let pending = "";
    const emit = (line: string): void => this.write(`${CLI_PREFIX}${line}\n`);
    return {
      write: (chunk) => {
        const lines = (pending + chunk).split("\n");
        pending = lines.pop() ?? "";
        lines.forEach(emit);
      },
      flush: () => {
        if (pending !== "") emit(pending);
        pending = "";
      },
    };
  }

  private write(text: string): void {
    this.out.write(redact(text, this.secrets));
  }
}

/** Wraps each paragraph (text between newlines) at WIDTH columns; empty paragraphs stay as blank lines. */
function wrap(text: string, indent: string): string {
  return text
    .split("\n")
    .map((paragraph) => {
      const lines: string[] = [];
      let line = "";
      for (const word of paragraph.split(/\s+/).filter(Boolean)) {
        if (line !== "" && indent.length + line.length + 1 + word.length > WIDTH) {
          lines.push(line);
          line = word;
        } else {
          line = line === "" ? word : `${line} ${word}`;
        }
      }
      if (line !== "") lines.push(line);
      return lines.map((l) => indent + l).join("\n");
    })
    .join("\n");
}
