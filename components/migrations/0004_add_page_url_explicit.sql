-- The page's URL follows the configured base URL (BEACON_BASE_URL) at each
-- server start unless staff set it through the API or the console. Before,
-- the URL of the first start stayed for good: running `beacon demo` first
-- froze it at http://localhost:8080.
--
-- url_explicit says staff set it; configured_url is the base URL the server
-- last started with, which the page goes back to when staff clear the URL.
-- A page already here cannot tell a URL staff set from an old
-- configuration's: the built-in default and an empty URL follow, any other
-- is kept as if staff had set it (nothing set deliberately is lost).
ALTER TABLE pages ADD COLUMN url_explicit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pages ADD COLUMN configured_url TEXT NOT NULL DEFAULT '';
UPDATE pages SET url_explicit = 1 WHERE url NOT IN ('', 'http://localhost:8080');
UPDATE pages SET configured_url = url WHERE url_explicit = 0;
