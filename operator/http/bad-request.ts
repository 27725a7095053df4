// How the operator's HTTP API refuses bad input: 400, naming the field (or query parameter) and
// what it accepts.
import type { Response } from "express";

export function badRequest(res: Response, field: string, message: string) {
  res.status(400).json({ error: message, field });
}
