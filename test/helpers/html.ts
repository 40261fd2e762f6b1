export interface HtmlElement {
  tag: string
  attrs: Record<string, string>
}

export interface ParsedPage {
  elements: HtmlElement[]
  /** Elements of one tag name, in document order. */
  all(tag: string): HtmlElement[]
  /** The text inside the elements matching one of the selectors given to `parsePage`, concatenated. */
  text(selector: string): string
}

const SELECTORS = ['title', 'h1', 'label', 'button', '[role=alert]', '[role=status]']

/**
 * Parses a page as a browser would tokenize it (workerd's HTMLRewriter), not with regexes.
 * Attribute values and texts are the source's, entities not decoded (`&lt;` stays `&lt;`).
 */
export async function parsePage(html: string, selectors: string[] = SELECTORS): Promise<ParsedPage> {
  const elements: HtmlElement[] = []
  const texts = new Map<string, string>()
  let rewriter = new HTMLRewriter().on('*', {
    element(e) {
      elements.push({ tag: e.tagName, attrs: Object.fromEntries(e.attributes) })
    },
  })
  for (const selector of selectors) {
    texts.set(selector, '')
    rewriter = rewriter.on(selector, {
      text(t) {
        texts.set(selector, (texts.get(selector) ?? '') + t.text)
      },
    })
  }
  await rewriter.transform(new Response(html)).text()
  return {
    elements,
    all: (tag) => elements.filter((e) => e.tag === tag),
    text: (selector) => (texts.get(selector) ?? '').replace(/\s+/g, ' ').trim(),
  }
}

/** Every attribute value that loads or links something (src, href, action, …) in the page. */
export function urlAttributes(page: ParsedPage): string[] {
  return page.elements.flatMap((e) =>
    Object.entries(e.attrs)
      .filter(([name]) => ['src', 'href', 'action', 'formaction', 'srcset', 'poster', 'data'].includes(name))
      .map(([, value]) => value),
  )
}
