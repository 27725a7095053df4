// Labels a cluster operator sets on a Namespace to open its gallery to people without a token
// (`kubectl label namespace art aria.dev/gallery=public`): viewing, and separately reacting.
// Creating and deleting always need a token.
export const PUBLIC_GALLERY_LABEL = "aria.dev/gallery";
export const PUBLIC_REACTIONS_LABEL = "aria.dev/gallery-reactions";
/** The value either label takes to open its part. */
export const PUBLIC = "public";
