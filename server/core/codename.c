/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * codename: random "adjective-noun-NNN" names. 128 x 128 x 900 = 14.7M
 * names, so at 100k cases a draw collides with probability 0.7% and the
 * retry loop in the callers (CODENAME_ATTEMPTS) practically never runs
 * out. The words are plain nature words: no place, direction, nationality
 * or anything that could hint at a person.
 */
#include <stdio.h>

#include "crypto/secmem.h"
#include "schema/store_case.h"
#include "server/core/codename.h"

#define CODENAME_WORDS	128u

_Static_assert(CODENAME_LONGEST <= CODENAME_MAX_BYTES,
    "codenames must fit the store's buffer");

static const char *const adjectives[CODENAME_WORDS] = {
	"amber", "azure", "bold", "brave", "breezy", "bright", "brisk",
	"calm", "candid", "cedar", "clear", "clever", "coastal", "cobalt",
	"copper", "coral", "crimson", "crisp", "dapper", "dawn", "deep",
	"dusky", "eager", "early", "emerald", "even", "fair", "fallow",
	"fern", "fleet", "foggy", "frosty", "gentle", "gilded", "glad",
	"golden", "grand", "granite", "green", "hazel", "hidden", "hollow",
	"honest", "humble", "indigo", "ivory", "jade", "jolly", "keen",
	"kind", "late", "lemon", "level", "light", "lilac", "linen",
	"lively", "lofty", "loyal", "lucky", "lunar", "maple", "marble",
	"mellow", "merry", "mild", "misty", "modest", "mossy", "noble",
	"oaken", "olive", "opal", "orange", "pale", "patient", "pearl",
	"pine", "plain", "polar", "proud", "quick", "quiet", "rapid", "rosy",
	"royal", "ruby", "russet", "rustic", "sable", "sage", "sandy",
	"scarlet", "silent", "silver", "simple", "slate", "sleek", "smooth",
	"snowy", "solar", "spare", "spruce", "steady", "still", "stone",
	"sturdy", "sunny", "swift", "tawny", "teal", "tidy", "topaz",
	"tranquil", "true", "umber", "valiant", "velvet", "vivid", "warm",
	"wild", "willow", "windy", "winter", "wise", "woven", "young",
	"zesty",
};

static const char *const nouns[CODENAME_WORDS] = {
	"acorn", "anchor", "aspen", "badger", "basin", "beacon", "birch",
	"bison", "bluff", "bramble", "brook", "canyon", "cedar", "cliff",
	"cloud", "clover", "comet", "cove", "crane", "creek", "crest",
	"cypress", "dale", "delta", "dove", "dune", "eagle", "egret", "elm",
	"ember", "falcon", "fern", "field", "finch", "fjord", "flint",
	"forest", "fox", "garden", "gazelle", "glacier", "glade", "grove",
	"gull", "harbor", "hare", "hawk", "heath", "heron", "hill",
	"horizon", "island", "ivy", "jay", "juniper", "kestrel", "lagoon",
	"lake", "lantern", "larch", "lark", "laurel", "lynx", "magpie",
	"maple", "marsh", "meadow", "mesa", "mist", "moon", "moss", "oak",
	"ocean", "orchard", "osprey", "otter", "owl", "panda", "pebble",
	"pelican", "pine", "plain", "plover", "pond", "poplar", "prairie",
	"quail", "rain", "raven", "reed", "ridge", "river", "robin", "rock",
	"rowan", "sage", "shore", "sparrow", "spring", "spruce", "star",
	"stone", "stork", "stream", "summit", "swallow", "swan", "thicket",
	"thrush", "tide", "timber", "trail", "tulip", "valley", "vine",
	"violet", "walnut", "wave", "willow", "wind", "wolf", "wren",
	"yarrow", "aurora", "breeze", "canopy", "harvest", "lotus",
};

int
codename_new(char *out, size_t out_len)
{
	uint32_t a = secmem_random_uniform(CODENAME_WORDS);
	uint32_t n = secmem_random_uniform(CODENAME_WORDS);
	uint32_t num = 100u + secmem_random_uniform(900u);
	int len;

	len = snprintf(out, out_len, "%s-%s-%u", adjectives[a], nouns[n],
	    (unsigned)num);
	if (len < 0 || (size_t)len >= out_len)
		return -1;
	return 0;
}
