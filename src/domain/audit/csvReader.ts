/**
 * A streaming RFC 4180 reader for the CSV exports: quoted fields (with "" escapes and line breaks
 * inside), CRLF or LF line ends, and comment lines (a record that starts with `#`). Fed chunk by
 * chunk, so a large export is never held in memory.
 */
export type CsvRecord = { readonly type: "comment"; readonly text: string; readonly line: number } | { readonly type: "row"; readonly cells: string[]; readonly line: number };

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = "CsvSyntaxError";
  }
}

type State = "recordStart" | "fieldStart" | "unquoted" | "quoted" | "quoteInQuoted" | "comment";

export class CsvReader {
  private state: State = "recordStart";
  private field = "";
  private cells: string[] = [];
  private line = 1;
  private recordLine = 1;

  /** Parses a chunk; returns the records it completed. */
  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    for (const c of chunk) {
      switch (this.state) {
        case "recordStart":
          this.recordLine = this.line;
          if (c === "#") {
            this.state = "comment";
            break;
          }
          this.state = "fieldStart";
          this.fieldStart(c, out);
          break;
        case "fieldStart":
          this.fieldStart(c, out);
          break;
        case "unquoted":
          if (c === ",") this.endField("fieldStart");
          else if (c === "\n") this.endRecord(out);
          else if (c === "\r") break;
          else if (c === '"') throw new CsvSyntaxError("a quote inside an unquoted field", this.line);
          else this.field += c;
          break;
        case "quoted":
          if (c === '"') this.state = "quoteInQuoted";
          else this.field += c;
          break;
        case "quoteInQuoted":
          if (c === '"') {
            this.field += '"';
            this.state = "quoted";
          } else if (c === ",") this.endField("fieldStart");
          else if (c === "\n") this.endRecord(out);
          else if (c === "\r") break;
          else throw new CsvSyntaxError("text after the closing quote of a field", this.line);
          break;
        case "comment":
          if (c === "\n") {
            out.push({ type: "comment", text: `#${this.field.replace(/\r$/, "")}`, line: this.recordLine });
            this.field = "";
            this.state = "recordStart";
          } else this.field += c;
          break;
      }
      if (c === "\n") this.line++;
    }
    return out;
  }

  /** Ends the input: returns the last record when the text does not end with a line break. */
  end(): CsvRecord[] {
    const out: CsvRecord[] = [];
    switch (this.state) {
      case "quoted":
        throw new CsvSyntaxError("the file ends inside a quoted field", this.line);
      case "comment":
        out.push({ type: "comment", text: `#${this.field.replace(/\r$/, "")}`, line: this.recordLine });
        break;
      case "recordStart":
        break;
      default:
        this.endRecord(out);
    }
    this.state = "recordStart";
    return out;
  }

  private fieldStart(c: string, out: CsvRecord[]): void {
    if (c === '"') this.state = "quoted";
    else if (c === ",") this.endField("fieldStart");
    else if (c === "\n") this.endRecord(out);
    else if (c === "\r") return;
    else {
      this.field += c;
      this.state = "unquoted";
    }
  }

  private endField(next: State): void {
    this.cells.push(this.field);
    this.field = "";
    this.state = next;
  }

  private endRecord(out: CsvRecord[]): void {
    this.cells.push(this.field);
    const cells = this.cells;
    this.field = "";
    this.cells = [];
    this.state = "recordStart";
    // An empty line is no record.
    if (!(cells.length === 1 && cells[0] === "")) out.push({ type: "row", cells, line: this.recordLine });
  }
}
