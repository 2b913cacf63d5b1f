# ruff: noqa: RUF001
"""The wire paragraph in eight scripts: is a copy found, and does its passage end where the copy ends?

Each translation of :data:`dedup_bench.wire.WIRE` (and its first half, a brief) is run by three of
five outlets, between texts of their own drawn from the translation's letters, spaced as the
translation is: Chinese, Japanese and Thai come glued to the outlet's text, with no space or
punctuation between. A scan should pair the three carriers, each passage being the copy.
"""

from __future__ import annotations

import random
from typing import Any

from dedup import Document, scan

TRANSLATIONS = {
    "Chinese": (
        "国防部星期一表示，尽管上周宣布有关结束联军任务的谈判即将开始，但目前没有计划从该国撤出其两千五百名士兵。"
        "一名发言人对记者说，这些部队是应政府邀请驻扎的，将继续专注于打击曾经控制北部大片地区的武装组织的任务。"
        "首都官员没有回应就任何撤军时间表置评的请求。"
    ),
    "Japanese": (
        "国防省は月曜日、連合軍の任務終了に関する協議が近く始まると先週発表されたにもかかわらず、"
        "同国から二千五百人の部隊を撤退させる計画はないと述べた。報道官は記者団に対し、部隊は政府の招待により"
        "駐留しており、かつて北部の広い地域を支配していた武装組織に対する任務に引き続き重点を置くと語った。"
    ),
    "Korean": (
        "국방부는 월요일 연합군 임무 종료에 관한 협상이 곧 시작될 것이라는 지난주 발표에도 불구하고 이 나라에서 "
        "병력 2천500명을 철수할 계획이 없다고 밝혔다. 대변인은 기자들에게 병력이 정부의 초청으로 주둔하고 있으며 "
        "한때 북부의 넓은 지역을 장악했던 무장단체에 대한 임무에 계속 집중할 것이라고 말했다."
    ),
    "Thai": (
        "กระทรวงกลาโหมกล่าวเมื่อวันจันทร์ว่าไม่มีแผนที่จะถอนทหารจำนวนสองพันห้าร้อยนายออกจากประเทศ "
        "แม้จะมีการประกาศเมื่อสัปดาห์ที่แล้วว่าการเจรจาเพื่อยุติภารกิจของกองกำลังผสมจะเริ่มขึ้นในเร็วๆนี้ "
        "โฆษกกล่าวกับผู้สื่อข่าวว่ากองกำลังยังคงอยู่ตามคำเชิญของรัฐบาลและจะมุ่งเน้นภารกิจต่อต้านกลุ่มติดอาวุธที่เคยยึดครองพื้นที่กว้างใหญ่ทางภาคเหนือ"
    ),
    "Russian": (
        "Министерство обороны в понедельник заявило, что не планирует выводить из страны свои 2500 "
        "военнослужащих, несмотря на объявление на прошлой неделе о скором начале переговоров о завершении миссии "
        "коалиции. Представитель ведомства сообщил журналистам, что войска находятся в стране по приглашению "
        "правительства и сосредоточатся на борьбе с вооружённой группировкой, которая когда-то контролировала "
        "обширные районы на севере."
    ),
    "Hindi": (
        "रक्षा मंत्रालय ने सोमवार को कहा कि गठबंधन मिशन को समाप्त करने पर बातचीत जल्द शुरू होने की पिछले सप्ताह की "
        "घोषणा के बावजूद देश से अपने 2,500 सैनिकों को वापस बुलाने की उसकी कोई योजना नहीं है। एक प्रवक्ता ने संवाददाताओं से "
        "कहा कि सेनाएं सरकार के निमंत्रण पर वहां मौजूद हैं और उस उग्रवादी समूह के खिलाफ मिशन पर ध्यान केंद्रित रखेंगी जिसने "
        "कभी उत्तर के बड़े हिस्से पर कब्जा कर रखा था।"
    ),
    "Hebrew": (
        "משרד הביטחון מסר ביום שני כי אין בכוונתו להוציא את 2,500 חייליו מהמדינה, על אף ההודעה בשבוע שעבר כי "
        "השיחות על סיום משימת הקואליציה יחלו בקרוב. דובר אמר לכתבים כי הכוחות שוהים שם בהזמנת הממשלה וימשיכו "
        "להתמקד במשימה נגד הארגון החמוש, אשר שלט בעבר על שטחים נרחבים בצפון. גורמים בבירה לא הגיבו לבקשה להגיב "
        "על מועד הנסיגה."
    ),
    "Greek": (
        "Το υπουργείο Άμυνας δήλωσε τη Δευτέρα ότι δεν σχεδιάζει να αποσύρει τους 2.500 στρατιώτες του από τη "
        "χώρα, παρά την ανακοίνωση της περασμένης εβδομάδας ότι οι συνομιλίες για τον τερματισμό της αποστολής του "
        "συνασπισμού θα ξεκινήσουν σύντομα. Εκπρόσωπος δήλωσε στους δημοσιογράφους ότι οι δυνάμεις παραμένουν μετά "
        "από πρόσκληση της κυβέρνησης."
    ),
}
CARRIERS = 3
OUTLETS = 5


def own_text(wire: str, seed: int, length: int = 400) -> str:
    """An outlet's own text in the wire's script: its letters at random, spaced as often as the wire is."""
    rng = random.Random(seed)
    letters = sorted({c for c in wire if c.isalpha()})
    space = wire.count(" ") / len(wire)
    return "".join(" " if rng.random() < space else rng.choice(letters) for _ in range(length))


def outlets(wire: str, seed: int, carriers: int = CARRIERS) -> list[Document]:
    """``OUTLETS`` outlets; the first ``carriers`` run ``wire`` between texts of their own.

    Glued to them in a script written without spaces (fewer than one space in 20 characters), after
    and before a space in others.
    """
    glue = "" if wire.count(" ") < len(wire) / 20 else " "
    return [
        Document(
            f"d{i}",
            glue.join((
                own_text(wire, seed + i),
                wire if i < carriers else own_text(wire, seed + 50 + i, len(wire)),
                own_text(wire, seed + 100 + i),
            )),
            source=f"outlet{i}",
        )
        for i in range(OUTLETS)
    ]  # fmt: skip


def reach(docs: list[Document], wire: str) -> dict[frozenset[str], int]:
    """For each pair with a passage, the most characters a passage misses of the wire or holds past it."""
    text = {d.id: d.text for d in docs}
    out: dict[frozenset[str], int] = {}
    for p in scan(docs).passages:
        worst = 0
        for span in (p.a, p.b):
            start = text[span.doc].find(wire)
            worst = max(worst, abs(span.start - start), abs(span.end - (start + len(wire))))
        key = frozenset((p.a.doc, p.b.doc))
        out[key] = max(out.get(key, 0), worst)
    return out


def script_draws(seed: int = 0) -> dict[str, Any]:
    """Each translation whole and halved (a brief): carrier pairs found and the most a passage is off the copy."""
    rows = []
    carrier_pairs = {frozenset((f"d{i}", f"d{j}")) for i in range(CARRIERS) for j in range(i + 1, CARRIERS)}
    for language, text in TRANSLATIONS.items():
        for kind, wire in (("paragraph", text), ("brief", text[: len(text) // 2])):
            found = reach(outlets(wire, seed), wire)
            rows.append({
                "language": language, "kind": kind, "characters": len(wire),
                "carrier_pairs": len(carrier_pairs & set(found)), "other_pairs": len(set(found) - carrier_pairs),
                "reach": max((found[k] for k in carrier_pairs & set(found)), default=None),
            })  # fmt: skip
    return {"rows": rows, "of": len(carrier_pairs)}


def format_scripts(found: dict[str, Any]) -> str:
    """One line a language: the paragraph's and the brief's carrier pairs, and how far a passage is off."""
    lines = []
    for row in found["rows"]:
        reach_text = "-" if row["reach"] is None else f"{row['reach']} off"
        lines.append(
            f"wire in {row['language']}, {row['kind']} of {row['characters']} characters: "
            f"{row['carrier_pairs']}/{found['of']} carrier pairs, {row['other_pairs']} other pairs, {reach_text}"
        )
    return "\n".join(lines)
