"""Writes the ids transformers' CLIPTokenizer gives for a few hundred varied prompts, for an SD 1.5 style
tokenizer folder (pads with <|endoftext|>) and an SD 2 style one (pads with "!"), as the fixture that
lib/tokenizer/clip-tokenizer.test.ts checks Aria's tokenizer against. Run through
test/reference/clip-tokenizer-fixture.ts, which writes the folders and the fixture."""

import argparse
import json
import random

import transformers
from transformers import CLIPTokenizer

parser = argparse.ArgumentParser()
parser.add_argument("--sd15", required=True, help="tokenizer folder padding with <|endoftext|>")
parser.add_argument("--sd2", required=True, help='tokenizer folder padding with "!"')
parser.add_argument("--out", required=True)
args = parser.parse_args()

HANDWRITTEN = [
    # ASCII, punctuation, mixed case
    "",
    " ",
    "a photo of a cat",
    "A Photo Of A Cat",
    "A RED Sunset over the OCEAN!!",
    "masterpiece, best quality, ultra-detailed, 8k, (photorealistic:1.4), [blurry]",
    "oil painting; by Rembrandt & Vermeer -- chiaroscuro...",
    "what?!?! no way... (really) [sure] {ok} <fine>",
    "email@example.com https://example.com/path?q=1&x=2#frag",
    "C:\\Users\\aria\\art.png",
    "\"quoted\" 'single' `back` «guillemets» „low“ ‘curly’",
    "a_b-c.d/e|f~g^h*i+j=k%l$m#n@o",
    "!!!",
    "!",
    "hello!",
    " ! ",
    "!hello",
    "¡hola! ¿qué tal?",
    "....",
    "--- *** ___",
    # contractions
    "it's 2024, isn't it? 3.14159",
    "IT'S A CAT'S TOY, ISN'T IT? WE'LL SEE, I'M SURE, THEY'VE GONE, YOU'RE, HE'D",
    "don't won't can't shouldn't y'all o'clock rock'n'roll",
    "'s 't 're 've 'm 'll 'd",
    "''s '''t 's's",
    "it’s curly – isn’t it",
    "the cat's whiskers' tips",
    # numbers
    "12345 678.90 1,000,000 1e10 -42 +7 0x1F 007",
    "½ ¼ ¾ ² ³ ⁴ ₁ ₂ ⅓ Ⅻ ⅻ",
    "٠١٢٣٤٥٦٧٨٩ ۱۲۳ १२३ ১২৩ ๑๒๓",
    "１２３ ＡＢＣ ａｂｃ",
    "3d render, 4k, 16:9, 1920x1080, f/1.8, 50mm, ISO 100",
    "year 1999 vs 2000",
    "9" * 100,
    # emoji and ZWJ sequences
    "🎨🖌️ a painting 👩‍🎨",
    "👩‍👩‍👧‍👦 family 👨‍💻 coder 🏳️‍🌈 flag 🏴‍☠️",
    "👍 👍🏻 👍🏽 👍🏿",
    "🇯🇵 🇫🇷 🇺🇸 flags",
    "1️⃣ #️⃣ *️⃣ keycaps",
    "❤️ ❤ ♥ ☺️ ✨🌟⭐",
    "🐱🐶🦊 animals",
    "a cat🐱in a hat🎩",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿 scotland",
    # accents, composed and decomposed
    "café naïve résumé",
    "cafe\u0301 nai\u0308ve re\u0301sume\u0301",
    "Ångström Øresund Ærø Łódź Çà Ñandú",
    "ÉCOLE FRANÇAISE",
    "ǅemal ǈubljana Ǆ ǆ",
    "straße STRASSE ẞ",
    "İstanbul ISTANBUL ıi",
    "ﬁne ﬂour ﬀ",
    "K Kelvin Ω Ohm Å Angstrom",
    "Vietnamese: Tiếng Việt có dấu",
    # Greek
    "ΟΔΟΣ",
    "ΣΊΣΥΦΟΣ και ΟΔΥΣΣΕΑΣ",
    "Σίσυφος ο Οδυσσέας",
    "ΣΑΣ ΣΑΣ.",
    "Σ",
    "ΑΣ, ΑΣ! ΑΣ.ΑΣ",
    "ΌΣΟΣ ΣΟΦΟΣ",
    "αβγδε ΑΒΓΔΕ",
    "ς σ Σ",
    "ΜΆΙΟΣ 2ΣΣ Σ1",
    # CJK, Japanese, Korean
    "东京的夜景 桜の花",
    "水墨画，山水，高清",
    "猫がいる。カタカナ ひらがな",
    "한국어 그림 고양이",
    "\u1100\u1161\u11a8 jamo",
    "𠀀𠀁 rare CJK",
    "漢字と English mixed 混合",
    # Arabic, Hebrew, other scripts
    "שלום עולם مرحبا بالعالم",
    "لوحة زيتية لقطة",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u064b\u064c\u064d",
    "हिन्दी चित्र बिल्ली",
    "ภาษาไทย แมว",
    "Кошка на крыше ЁЖИК",
    "ქართული Հայերեն አማርኛ",
    # control and format characters
    "tab\there new\nline carriage\rreturn",
    "vertical\x0btab form\x0cfeed",
    "nul\x00char bell\x07 esc\x1b[31m del\x7f",
    "file\x1csep group\x1dsep record\x1esep unit\x1fsep",
    "zero\u200bwidth space",
    "zwnj\u200cand zwj\u200d",
    "word\u2060joiner",
    "bom\ufeffinside",
    "\ufeffbom at start",
    "soft\u00adhyphen",
    "rtl\u202eoverride\u202c",
    "lrm\u200e rlm\u200f",
    "next\u0085line",
    "\u0085",
    "\ufeff",
    "mongolian\u180evowel",
    "c1\u0080\u0090\u009fcontrols",
    "private\ue000use",
    "replacement\ufffd char",
    "variation\ufe0fselector",
    "combining\u0301\u0302\u0303 marks",
    # whitespace
    "  multiple   spaces\tand\nnewlines  ",
    "nbsp\u00a0space",
    "ogham\u1680space",
    "en\u2002em\u2003thin\u2009hair\u200a",
    "line\u2028sep para\u2029sep",
    "narrow\u202fnbsp math\u205fspace ideographic\u3000space",
    "\t\n\r \u00a0\u3000",
    " leading and trailing ",
    "a" + " " * 50 + "b",
    "\n\n\nparagraphs\n\n\nof\n\ntext\n",
    # special-token text
    "<|endoftext|> hello",
    "<|ENDOFTEXT|> hello",
    "<|EndOfText|>",
    "<|startoftext|>a cat<|endoftext|>",
    "<|STARTOFTEXT|>",
    "a<|endoftext|>b",
    " <|endoftext|> ",
    "<|endoftext|><|endoftext|>",
    "<|endoftext",
    "endoftext|>",
    "<|end of text|>",
    "<|endoftext|>!",
    "<|\u200bendoftext|>",
    "＜|endoftext|＞",
    "</w> a</w>b",
    # long prompts, far beyond 77 tokens
    " ".join(["colourful"] * 100),
    " ".join(["red"] * 76),
    " ".join(["red"] * 75),
    " ".join(["red"] * 74),
    "a" * 300,
    "supercalifragilisticexpialidocious " * 20,
    ", ".join(
        [
            "masterpiece",
            "best quality",
            "a majestic castle on a hill at sunset",
            "dramatic lighting",
            "volumetric fog",
            "intricate details",
            "highly detailed",
            "sharp focus",
            "octane render",
            "unreal engine 5",
            "trending on artstation",
            "by greg rutkowski and alphonse mucha",
            "cinematic composition",
            "golden hour",
            "8k uhd",
            "hdr",
            "award winning photograph",
            "depth of field",
            "bokeh",
            "wide angle lens",
            "rule of thirds",
            "vibrant colors",
            "epic scale",
            "fantasy art",
            "concept art",
        ]
    ),
    "東京" * 80,
    "🎨" * 60,
    "Σ" * 40 + " " + "ΑΣ " * 40,
]

VOCAB = [
    "cat", "dog", "Castle", "SUNSET", "ocean", "forest", "neon", "cyberpunk", "portrait", "landscape",
    "watercolor", "oil", "painting", "photo", "render", "unreal", "détaillé", "Straße", "ΟΔΟΣ", "λόγος",
    "東京", "猫", "고양이", "قطة", "חתול", "кошка", "🐱", "🎨", "👩‍🎨", "🏳️‍🌈", "it's", "don't", "WE'LL",
    "3.14", "1024", "x2", "(best:1.2)", "[bad]", "{a|b}", "!!!", "...", "—", "…", "©", "™", "°C",
]
SEPARATORS = [" ", ", ", "  ", "\t", "\n", ",", " | ", "\u00a0", "\u3000", "\u0085", "\ufeff", "\u200b", ". "]


def generated(count: int) -> list[str]:
    """Prompts built from words, case changes and separators above, drawn from a fixed seed."""
    rng = random.Random(20261130)
    out = []
    for _ in range(count):
        words = [rng.choice(VOCAB) for _ in range(rng.randint(1, 40))]
        words = [w.upper() if rng.random() < 0.15 else w.capitalize() if rng.random() < 0.2 else w for w in words]
        text = words[0]
        for w in words[1:]:
            text += rng.choice(SEPARATORS) + w
        out.append(text)
    return out


prompts = HANDWRITTEN + generated(300 - len(HANDWRITTEN))
styles = {"sd15": CLIPTokenizer.from_pretrained(args.sd15), "sd2": CLIPTokenizer.from_pretrained(args.sd2)}
cases = []
for prompt in prompts:
    case = {"prompt": prompt}
    for style, tok in styles.items():
        case[style] = {
            # What a diffusers pipeline feeds the text encoder.
            "ids": tok(prompt, padding="max_length", max_length=77, truncation=True)["input_ids"],
            # The whole prompt's length with start and end, to tell how many tokens truncation dropped.
            "length": len(tok(prompt)["input_ids"]),
        }
    cases.append(case)

with open(args.out, "w", encoding="utf-8") as f:
    f.write("{\n")
    f.write(f'  "generator": {json.dumps(f"transformers {transformers.__version__} CLIPTokenizer")},\n')
    f.write('  "cases": [\n')
    f.write(",\n".join(f"    {json.dumps(c, ensure_ascii=True)}" for c in cases))
    f.write("\n  ]\n}\n")
