/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * layers: an empty program that the build links against one layer and
 * those below it, whole (every object of each archive). A call from a
 * lower layer into a higher one is then an undefined symbol and fails the
 * link, so the layering of calls is checked by the build itself, as the
 * layering of includes is by check_includes.py.
 */
int
main(void)
{
	return 0;
}
