"""The documentation's relative links resolve: every [text](target) in README.md, docs/ and
results/ names a file or directory of the checkout, and a #fragment names a heading of the
Markdown file it points at (GitHub's anchors). Also: the README stays a five-minute read."""

import os
import re
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README_MAX_LINES = 200

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*```")
CODE_SPAN = re.compile(r"`[^`]*`")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def markdown_files():
    """README.md, then every .md under docs/ and results/."""
    found = [os.path.join(ROOT, "README.md")]
    for top in ("docs", "results"):
        for folder, _, names in os.walk(os.path.join(ROOT, top)):
            found += [os.path.join(folder, n) for n in sorted(names) if n.endswith(".md")]
    return found


def prose_lines(path):
    """The file's lines outside fenced code blocks."""
    inside = False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if FENCE.match(line):
                inside = not inside
                continue
            if not inside:
                yield line


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation but '-' and '_' dropped, spaces
    to hyphens."""
    text = heading.strip().lower().replace("`", "")
    text = "".join(c for c in text if c.isalnum() or c in " -_")
    return text.replace(" ", "-")


def anchors(path):
    seen = {}
    out = set()
    for line in prose_lines(path):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(1))
        n = seen.get(base, 0)
        out.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return out


def broken_links(path):
    """(line text, target, why) for each link of `path` that does not resolve."""
    broken = []
    for line in prose_lines(path):
        for target in LINK.findall(CODE_SPAN.sub("", line)):
            if re.match(r"^[a-z]+:", target):
                continue  # http:, https:, mailto:
            file_part, _, fragment = target.partition("#")
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            if not os.path.exists(resolved):
                broken.append((line.strip(), target, "no such file"))
            elif fragment and resolved.endswith(".md") and fragment not in anchors(resolved):
                broken.append((line.strip(), target, "no such heading"))
    return broken


class DocsLinks(unittest.TestCase):
    def test_every_relative_link_resolves(self):
        for path in markdown_files():
            with self.subTest(file=os.path.relpath(path, ROOT)):
                self.assertEqual(broken_links(path), [])

    def test_the_readme_is_short(self):
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
            self.assertLessEqual(len(f.readlines()), README_MAX_LINES)

    def test_the_check_sees_a_broken_link_and_a_missing_heading(self):
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            page = os.path.join(tmp, "page.md")
            with open(page, "w", encoding="utf-8") as f:
                f.write("# A `code` heading: here\n\n[ok](#a-code-heading-here) [gone](nowhere.md) "
                        "[bad](page.md#nope)\n```\n[ignored](in-a-fence.md)\n```\n")
            self.assertEqual([why for _, _, why in broken_links(page)], ["no such file", "no such heading"])


if __name__ == "__main__":
    unittest.main()
