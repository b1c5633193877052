"""The demo audiobooks: two in Spanish, one in English, each in several parts.

Short on purpose: a few minutes per part keeps `ondas demo` fast, while the
parts, the chapters that run from one part into the next and the free sample
behave exactly as a twelve-hour book's would. The descriptions are ours.
``ondas.ops.demo`` makes their audio and rows.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.files import File


@dataclass(frozen=True)
class DemoBook:
    slug: str
    title: str
    authors: str
    narrators: str
    publisher: str
    language: str
    categories: tuple[str, ...]
    published: str  # ISO date
    sample: str  # clock time: the free sample from the start of the book
    description: str
    colour: tuple[int, int, int]
    parts: tuple[tuple[str, str], ...]  # (title, duration as a clock time)
    chapters: tuple[tuple[str, str], ...]  # (start on the whole timeline, title)


DEMO_BOOKS = (
    DemoBook(
        slug="la-biblioteca-de-las-mareas",
        title="La biblioteca de las mareas",
        authors="Marina Olvera",
        narrators="Julián Ortega",
        publisher="Ediciones Ondas",
        language="es",
        categories=("Fiction",),
        published="2025-10-28",
        sample="0:45",
        colour=(22, 92, 110),
        description=(
            "<p>En un pueblo de la costa, la biblioteca municipal solo abre cuando "
            "baja la marea. Inés, su única bibliotecaria, empieza a recibir cartas "
            "sin remitente escondidas entre los libros devueltos, y cada una señala "
            "un estante que nadie recuerda haber visto.</p>"
            "<p>Una novela breve sobre la memoria de los lugares, leída sin prisa.</p>"
        ),
        parts=(("Parte 1", "3:00"), ("Parte 2", "2:40"), ("Parte 3", "3:20")),
        chapters=(
            ("0:00", "1. La marea baja"),
            ("1:40", "2. Cartas sin remitente"),
            ("4:10", "3. El archivo sumergido"),
            ("5:20", "4. Lo que guardaba el faro"),
            ("7:30", "5. Pleamar"),
        ),
    ),
    DemoBook(
        slug="small-servers-big-audiences",
        title="Small Servers, Big Audiences",
        authors="Priya Raman",
        narrators="Daniel Okafor",
        publisher="Ondas Press",
        language="en",
        categories=("Technology",),
        published="2025-09-15",
        sample="0:40",
        colour=(70, 52, 120),
        description=(
            "<p>A practical field guide to running an audio service on hardware "
            "you own. It argues for starting on a single machine, shows how to "
            "move bytes from disk to socket without copying them, and explains "
            "which numbers tell you it is finally time to add a second box.</p>"
        ),
        parts=(("Part 1", "3:30"), ("Part 2", "3:00")),
        chapters=(
            ("0:00", "Introduction"),
            ("1:10", "Start with one box"),
            ("2:50", "Bytes without copies"),
            ("4:40", "When to scale out"),
        ),
    ),
    DemoBook(
        slug="cronicas-de-la-onda-corta",
        title="Crónicas de la onda corta",
        authors="Ramón Villaseñor, Elena Cruz",
        narrators="Elena Cruz",
        publisher="Ediciones Ondas",
        language="es",
        categories=("History",),
        published="2025-08-04",
        sample="0:30",
        colour=(128, 70, 30),
        description=(
            "<p>Antes de internet, la onda corta cruzaba océanos de noche. Este "
            "libro recorre la época de los radioaficionados, las emisoras que "
            "hablaban a otros continentes y las disputas por cada frecuencia, con "
            "historias de quienes se quedaban despiertos para escucharlas.</p>"
        ),
        parts=(("Parte 1", "2:30"), ("Parte 2", "2:30"), ("Parte 3", "2:00")),
        chapters=(
            ("0:00", "Prólogo"),
            ("0:50", "Las primeras antenas"),
            ("2:10", "Voces en la noche"),
            ("3:40", "La guerra de las frecuencias"),
            ("5:40", "Epílogo"),
        ),
    ),
)


def book_cover(spec: DemoBook) -> File[bytes]:
    """A square PNG cover: the title's initials over the book's colour."""
    from PIL import Image, ImageDraw, ImageFont

    size = 800
    image = Image.new("RGB", (size, size), spec.colour)
    draw = ImageDraw.Draw(image)
    # A band across the lower third, as printed covers often have.
    draw.rectangle((0, size * 0.68, size, size * 0.76), fill=(245, 240, 228))
    initials = "".join(w[0] for w in spec.title.split() if w[0].isupper())[:3]
    font = ImageFont.load_default(size=260)
    draw.text(
        (size / 2, size * 0.38), initials, fill=(255, 255, 255), font=font, anchor="mm"
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return File(buffer, name=f"{spec.slug}.png")
