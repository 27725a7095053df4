// The gallery's list API as the benchmarks call it: one page, or how many Artworks match a filter.
import type { Proc } from "../test/controlplane/aria-process.ts";
import { httpsJson } from "../test/support/https.ts";

export interface GalleryPage {
  items: Array<{ name: string; phase?: string }>;
  continue?: string;
}

export function galleryList(operator: Proc, namespace: string, api: { ca: Buffer; token: string }) {
  const list = async (query: string): Promise<GalleryPage> => {
    const res = await httpsJson(operator, `/api/namespaces/${namespace}/artworks?${query}`, api);
    if (res.status !== 200) throw new Error(`list answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as unknown as GalleryPage;
  };
  /** How many Artworks the API lists with `filter` (such as "&phase=Pending"), 200 a page. */
  const count = async (filter = ""): Promise<number> => {
    let n = 0;
    let token: string | undefined;
    do {
      const page = await list(`limit=200${filter}${token ? `&continue=${token}` : ""}`);
      n += page.items.length;
      token = page.continue;
    } while (token);
    return n;
  };
  return { list, count };
}
