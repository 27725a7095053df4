// The moods an Artwork may aim for: in a file of its own, so the gallery's bundle takes the list
// without the schema library.
export const MOODS = [
  "neutral",
  "serene",
  "joyful",
  "melancholic",
  "dramatic",
  "mysterious",
  "energetic",
  "dreamy",
  "nostalgic",
] as const;
export type Mood = (typeof MOODS)[number];
