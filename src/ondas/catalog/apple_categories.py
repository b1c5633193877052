"""Apple Podcasts' category list: the names feeds carry, marked for translation.

Feeds always use the English names (that is what podcast apps match on); pages
show the translated name.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

# (top-level category, its subcategories)
APPLE_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        gettext_noop("Arts"),
        (
            gettext_noop("Books"),
            gettext_noop("Design"),
            gettext_noop("Fashion & Beauty"),
            gettext_noop("Food"),
            gettext_noop("Performing Arts"),
            gettext_noop("Visual Arts"),
        ),
    ),
    (
        gettext_noop("Business"),
        (
            gettext_noop("Careers"),
            gettext_noop("Entrepreneurship"),
            gettext_noop("Investing"),
            gettext_noop("Management"),
            gettext_noop("Marketing"),
            gettext_noop("Non-Profit"),
        ),
    ),
    (
        gettext_noop("Comedy"),
        (
            gettext_noop("Comedy Interviews"),
            gettext_noop("Improv"),
            gettext_noop("Stand-Up"),
        ),
    ),
    (
        gettext_noop("Education"),
        (
            gettext_noop("Courses"),
            gettext_noop("How To"),
            gettext_noop("Language Learning"),
            gettext_noop("Self-Improvement"),
        ),
    ),
    (
        gettext_noop("Fiction"),
        (
            gettext_noop("Comedy Fiction"),
            gettext_noop("Drama"),
            gettext_noop("Science Fiction"),
        ),
    ),
    (gettext_noop("Government"), ()),
    (gettext_noop("History"), ()),
    (
        gettext_noop("Health & Fitness"),
        (
            gettext_noop("Alternative Health"),
            gettext_noop("Fitness"),
            gettext_noop("Medicine"),
            gettext_noop("Mental Health"),
            gettext_noop("Nutrition"),
            gettext_noop("Sexuality"),
        ),
    ),
    (
        gettext_noop("Kids & Family"),
        (
            gettext_noop("Education for Kids"),
            gettext_noop("Parenting"),
            gettext_noop("Pets & Animals"),
            gettext_noop("Stories for Kids"),
        ),
    ),
    (
        gettext_noop("Leisure"),
        (
            gettext_noop("Animation & Manga"),
            gettext_noop("Automotive"),
            gettext_noop("Aviation"),
            gettext_noop("Crafts"),
            gettext_noop("Games"),
            gettext_noop("Hobbies"),
            gettext_noop("Home & Garden"),
            gettext_noop("Video Games"),
        ),
    ),
    (
        gettext_noop("Music"),
        (
            gettext_noop("Music Commentary"),
            gettext_noop("Music History"),
            gettext_noop("Music Interviews"),
        ),
    ),
    (
        gettext_noop("News"),
        (
            gettext_noop("Business News"),
            gettext_noop("Daily News"),
            gettext_noop("Entertainment News"),
            gettext_noop("News Commentary"),
            gettext_noop("Politics"),
            gettext_noop("Sports News"),
            gettext_noop("Tech News"),
        ),
    ),
    (
        gettext_noop("Religion & Spirituality"),
        (
            gettext_noop("Buddhism"),
            gettext_noop("Christianity"),
            gettext_noop("Hinduism"),
            gettext_noop("Islam"),
            gettext_noop("Judaism"),
            gettext_noop("Religion"),
            gettext_noop("Spirituality"),
        ),
    ),
    (
        gettext_noop("Science"),
        (
            gettext_noop("Astronomy"),
            gettext_noop("Chemistry"),
            gettext_noop("Earth Sciences"),
            gettext_noop("Life Sciences"),
            gettext_noop("Mathematics"),
            gettext_noop("Natural Sciences"),
            gettext_noop("Nature"),
            gettext_noop("Physics"),
            gettext_noop("Social Sciences"),
        ),
    ),
    (
        gettext_noop("Society & Culture"),
        (
            gettext_noop("Documentary"),
            gettext_noop("Personal Journals"),
            gettext_noop("Philosophy"),
            gettext_noop("Places & Travel"),
            gettext_noop("Relationships"),
        ),
    ),
    (
        gettext_noop("Sports"),
        (
            gettext_noop("Baseball"),
            gettext_noop("Basketball"),
            gettext_noop("Cricket"),
            gettext_noop("Fantasy Sports"),
            gettext_noop("Football"),
            gettext_noop("Golf"),
            gettext_noop("Hockey"),
            gettext_noop("Rugby"),
            gettext_noop("Running"),
            gettext_noop("Soccer"),
            gettext_noop("Swimming"),
            gettext_noop("Tennis"),
            gettext_noop("Volleyball"),
            gettext_noop("Wilderness"),
            gettext_noop("Wrestling"),
        ),
    ),
    (gettext_noop("Technology"), ()),
    (gettext_noop("True Crime"), ()),
    (
        gettext_noop("TV & Film"),
        (
            gettext_noop("After Shows"),
            gettext_noop("Film History"),
            gettext_noop("Film Interviews"),
            gettext_noop("Film Reviews"),
            gettext_noop("TV Reviews"),
        ),
    ),
)
