"""Apple Podcasts' category list: the names feeds carry, marked for translation.

Feeds always use the English names (that is what podcast apps match on); pages
show the translated name.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop as N_

# (top-level category, its subcategories)
APPLE_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Arts"), (N_("Books"), N_("Design"), N_("Fashion & Beauty"), N_("Food"),
                  N_("Performing Arts"), N_("Visual Arts"))),
    (N_("Business"), (N_("Careers"), N_("Entrepreneurship"), N_("Investing"),
                      N_("Management"), N_("Marketing"), N_("Non-Profit"))),
    (N_("Comedy"), (N_("Comedy Interviews"), N_("Improv"), N_("Stand-Up"))),
    (N_("Education"), (N_("Courses"), N_("How To"), N_("Language Learning"),
                       N_("Self-Improvement"))),
    (N_("Fiction"), (N_("Comedy Fiction"), N_("Drama"), N_("Science Fiction"))),
    (N_("Government"), ()),
    (N_("History"), ()),
    (N_("Health & Fitness"), (N_("Alternative Health"), N_("Fitness"), N_("Medicine"),
                              N_("Mental Health"), N_("Nutrition"), N_("Sexuality"))),
    (N_("Kids & Family"), (N_("Education for Kids"), N_("Parenting"),
                           N_("Pets & Animals"), N_("Stories for Kids"))),
    (N_("Leisure"), (N_("Animation & Manga"), N_("Automotive"), N_("Aviation"),
                     N_("Crafts"), N_("Games"), N_("Hobbies"), N_("Home & Garden"),
                     N_("Video Games"))),
    (N_("Music"), (N_("Music Commentary"), N_("Music History"),
                   N_("Music Interviews"))),
    (N_("News"), (N_("Business News"), N_("Daily News"), N_("Entertainment News"),
                  N_("News Commentary"), N_("Politics"), N_("Sports News"),
                  N_("Tech News"))),
    (N_("Religion & Spirituality"), (N_("Buddhism"), N_("Christianity"),
                                     N_("Hinduism"), N_("Islam"), N_("Judaism"),
                                     N_("Religion"), N_("Spirituality"))),
    (N_("Science"), (N_("Astronomy"), N_("Chemistry"), N_("Earth Sciences"),
                     N_("Life Sciences"), N_("Mathematics"), N_("Natural Sciences"),
                     N_("Nature"), N_("Physics"), N_("Social Sciences"))),
    (N_("Society & Culture"), (N_("Documentary"), N_("Personal Journals"),
                               N_("Philosophy"), N_("Places & Travel"),
                               N_("Relationships"))),
    (N_("Sports"), (N_("Baseball"), N_("Basketball"), N_("Cricket"),
                    N_("Fantasy Sports"), N_("Football"), N_("Golf"), N_("Hockey"),
                    N_("Rugby"), N_("Running"), N_("Soccer"), N_("Swimming"),
                    N_("Tennis"), N_("Volleyball"), N_("Wilderness"),
                    N_("Wrestling"))),
    (N_("Technology"), ()),
    (N_("True Crime"), ()),
    (N_("TV & Film"), (N_("After Shows"), N_("Film History"), N_("Film Interviews"),
                       N_("Film Reviews"), N_("TV Reviews"))),
)
