"""Words the synthetic corpus is made of, in the languages search knows (English,
Russian, Turkish): enough variety that a word search finds some claims and not
all of them, and that each language's stemmer has real words to stem."""

from __future__ import annotations

LANGUAGES = ("en", "ru", "tr")
# Shares of claims and documents by language.
LANGUAGE_WEIGHTS = (70, 15, 15)

PLACES = [
    ("Ganja", "Гянджи", "Gence"),
    ("Baku", "Баку", "Bakü"),
    ("Shusha", "Шуши", "Şuşa"),
    ("Stepanakert", "Степанакерта", "Hankendi"),
    ("Lachin", "Лачина", "Laçın"),
    ("Yerevan", "Еревана", "Erivan"),
    ("Tbilisi", "Тбилиси", "Tiflis"),
    ("Ankara", "Анкары", "Ankara"),
    ("Izmir", "Измира", "İzmir"),
    ("Kars", "Карса", "Kars"),
    ("Nakhchivan", "Нахичевани", "Nahçıvan"),
    ("Agdam", "Агдама", "Ağdam"),
    ("Fuzuli", "Физули", "Füzuli"),
    ("Gyumri", "Гюмри", "Gümrü"),
    ("Batumi", "Батуми", "Batum"),
    ("Derbent", "Дербента", "Derbent"),
]

ACTORS = [
    ("Turkish troops", "Турецкие военные", "Türk askerleri"),
    ("Azerbaijani forces", "Азербайджанские силы", "Azerbaycan kuvvetleri"),
    ("Armenian officials", "Армянские чиновники", "Ermeni yetkililer"),
    ("Russian peacekeepers", "Российские миротворцы", "Rus barış gücü askerleri"),
    ("Georgian police", "Грузинская полиция", "Gürcü polisi"),
    ("Iranian diplomats", "Иранские дипломаты", "İranlı diplomatlar"),
    ("Border guards", "Пограничники", "Sınır muhafızları"),
    ("Local residents", "Местные жители", "Yerel halk"),
    ("International observers", "Международные наблюдатели", "Uluslararası gözlemciler"),
    ("The defence ministry", "Министерство обороны", "Savunma bakanlığı"),
    ("Army engineers", "Армейские инженеры", "Ordu mühendisleri"),
    ("Aid workers", "Гуманитарные работники", "Yardım çalışanları"),
]

VERBS = [
    ("deployed", "развернули", "konuşlandırdı"),
    ("shelled", "обстреляли", "bombaladı"),
    ("captured", "захватили", "ele geçirdi"),
    ("evacuated", "эвакуировали", "tahliye etti"),
    ("delivered", "доставили", "teslim etti"),
    ("intercepted", "перехватили", "durdurdu"),
    ("inspected", "проверили", "denetledi"),
    ("blockaded", "блокировали", "abluka altına aldı"),
    ("repaired", "отремонтировали", "onardı"),
    ("destroyed", "уничтожили", "imha etti"),
]

OBJECTS = [
    ("{n} drones", "{n} беспилотников", "{n} insansız hava aracını"),
    ("{n} tanks", "{n} танков", "{n} tankı"),
    ("a convoy of {n} trucks", "колонну из {n} грузовиков", "{n} kamyonluk bir konvoyu"),
    ("{n} tonnes of humanitarian aid", "{n} тонн гуманитарной помощи", "{n} ton insani yardımı"),
    ("{n} air-defence systems", "{n} систем ПВО", "{n} hava savunma sistemini"),
    ("a power station", "электростанцию", "bir elektrik santralini"),
    ("the airport", "аэропорт", "havalimanını"),
    ("{n} villages", "{n} сёл", "{n} köyü"),
    ("{n} artillery positions", "{n} артиллерийских позиций", "{n} topçu mevzisini"),
    ("a grain shipment", "партию зерна", "bir tahıl sevkiyatını"),
    ("the main bridge", "главный мост", "ana köprüyü"),
    ("{n} helicopters", "{n} вертолётов", "{n} helikopteri"),
]

WHEN = [
    ("on Monday", "в понедельник", "pazartesi günü"),
    ("last week", "на прошлой неделе", "geçen hafta"),
    ("overnight", "ночью", "gece boyunca"),
    ("last summer", "прошлым летом", "geçen yaz"),
    ("early on Friday", "рано утром в пятницу", "cuma sabahı erken saatlerde"),
    ("during the ceasefire", "во время перемирия", "ateşkes sırasında"),
]


def claim_text(lang: int, actor: int, verb: int, obj: int, place: int, when: int, n: int) -> str:
    """One atomic statement in the language at index ``lang`` of LANGUAGES."""
    a, v, o, p, w = ACTORS[actor][lang], VERBS[verb][lang], OBJECTS[obj][lang], PLACES[place][lang], WHEN[when][lang]
    o = o.format(n=n)
    if lang == 0:
        return f"{a} {v} {o} near {p} {w}."
    if lang == 1:
        return f"{a} {v} {o} в районе {p} {w}."
    return f"{a} {w} {p} yakınlarında {o} {v}."


# How a document words a hop: "{down} citing {up}".
RELATION_WORDS = {
    "reported": (
        "{down}, relaying a report by {up}",
        "{down}, передавая сообщение {up}",
        "{down}, {up} haberini aktararak",
    ),
    "citing": ("{down}, citing {up}", "{down} со ссылкой на {up}", "{down}, {up} kaynağına atıfla"),
    "quoting": ("{down}, quoting {up}", "{down}, цитируя {up}", "{down}, {up} sözlerini alıntılayarak"),
    "informed_by": (
        "{down}, which was informed by {up}",
        "{down}, получившее информацию от {up}",
        "{up} tarafından bilgilendirilen {down}",
    ),
    "according_to": ("{down}, according to {up}", "{down}, по данным {up}", "{up} verilerine göre {down}"),
    "said_to": (
        "{down}, as {up} is said to have told it",
        "{down}, как якобы сообщил {up}",
        "{down}, {up} söylediğine göre",
    ),
    "translating": ("{down}, translating {up}", "{down} в переводе {up}", "{down}, {up} çevirisiyle"),
    "other": ("{down}, by way of {up}", "{down} через {up}", "{down}, {up} aracılığıyla"),
}
# Shares of hops by relation.
RELATIONS = tuple(RELATION_WORDS)
RELATION_WEIGHTS = (30, 30, 10, 12, 10, 3, 3, 2)

FILLER = (
    (
        "The situation in the region remained tense, officials said.",
        "Talks between the two sides are expected to resume next month.",
        "Independent confirmation of the reports was not immediately available.",
        "Satellite images published earlier showed new activity near the border.",
        "Residents described hearing explosions throughout the night.",
        "Neither side commented on the figures when asked.",
        "The ministry did not answer a request for comment.",
        "Analysts warned that the numbers could not be verified independently.",
        "Roads into the area were closed for several hours.",
        "Earlier reports had given a different account of the events.",
    ),
    (
        "Ситуация в регионе остаётся напряжённой, заявили официальные лица.",
        "Переговоры сторон ожидаются в следующем месяце.",
        "Независимого подтверждения сообщений пока нет.",
        "Спутниковые снимки показали новую активность у границы.",
        "Жители рассказали, что всю ночь слышали взрывы.",
        "Ни одна из сторон не прокомментировала эти данные.",
        "Министерство не ответило на запрос о комментарии.",
        "Эксперты предупредили, что цифры невозможно проверить.",
        "Дороги в этот район были закрыты на несколько часов.",
    ),
    (
        "Bölgedeki durum gergin olmaya devam ediyor, yetkililer açıkladı.",
        "İki taraf arasındaki görüşmelerin gelecek ay yeniden başlaması bekleniyor.",
        "Haberler henüz bağımsız olarak doğrulanmadı.",
        "Uydu görüntüleri sınır yakınında yeni hareketlilik gösterdi.",
        "Bölge sakinleri gece boyunca patlama sesleri duyduklarını söyledi.",
        "Taraflardan hiçbiri rakamlar hakkında yorum yapmadı.",
        "Bakanlık yorum talebine yanıt vermedi.",
        "Yollar birkaç saat boyunca trafiğe kapatıldı.",
    ),
)

TITLE_WORDS = (
    ("Report", "Update", "Live", "Analysis", "Briefing", "Exclusive"),
    ("Сводка", "Новости", "Репортаж", "Анализ", "Брифинг", "Эксклюзив"),
    ("Haber", "Son dakika", "Analiz", "Bülten", "Özel", "Gündem"),
)

EXPLANATIONS = (
    "Satellite imagery and two independent witnesses contradict the figures given.",
    "The ministry's own statement, published the same day, confirms the account.",
    "Only one origin stands behind every report, and it could not be checked.",
    "Photographs of the scene were traced to an earlier, unrelated event.",
    "The numbers match official records released a week later.",
    "Local journalists on the ground confirmed part of the account but not the figures.",
)

TOPICS = (
    "Military",
    "Diplomacy",
    "Humanitarian aid",
    "Energy",
    "Border incidents",
    "Ceasefire",
    "Infrastructure",
    "Elections",
    "Refugees",
    "Economy",
    "Transport",
    "Health",
)

# Sources, by kind.
AGENCIES = (
    ("Meridian Wire", "GB"),
    ("Caspian Press Agency", "AZ"),
    ("Anatolian Wire Service", "TR"),
    ("Northern Telegraph Agency", "RU"),
    ("Global Dispatch", "US"),
    ("Eurasia Newswire", "DE"),
    ("Ararat News Agency", "AM"),
    ("Kartli Information Service", "GE"),
)
COUNTRIES = ("AZ", "AM", "TR", "RU", "GE", "IR", "US", "GB", "FR", "DE", "UA", "KZ")
COUNTRY_NAMES = {
    "AZ": "Azerbaijan",
    "AM": "Armenia",
    "TR": "Turkey",
    "RU": "Russia",
    "GE": "Georgia",
    "IR": "Iran",
    "US": "the United States",
    "GB": "the United Kingdom",
    "FR": "France",
    "DE": "Germany",
    "UA": "Ukraine",
    "KZ": "Kazakhstan",
}
MINISTRIES = ("Ministry of Defence", "Ministry of Foreign Affairs", "Ministry of Interior", "Ministry of Emergencies")
OUTLET_WORDS = ("Herald", "Courier", "Times", "Gazette", "Observer", "Post", "Daily", "Review", "Today", "Journal")
OUTLET_PLACES = (*tuple(p[0] for p in PLACES), "Caucasus", "Caspian", "Black Sea", "Silk Road", "Eastern", "Frontier")
ORGANISATIONS = ("Human Rights Watchers", "Red Crescent Society", "Institute for War Studies", "Election Monitors")
FIRST_NAMES = (
    "Aylin", "Farid", "Leyla", "Murad", "Anna", "Ivan", "Olga", "Sergey", "Mehmet", "Elif", "Arman", "Nare",
    "Giorgi", "Nino", "John", "Sarah", "Pierre", "Claire", "Hans", "Dmitri", "Zara", "Kamran", "Tigran", "Emre",
)  # fmt: skip
LAST_NAMES = (
    "Aliyev", "Mammadova", "Petrov", "Ivanova", "Yilmaz", "Kaya", "Sargsyan", "Hakobyan", "Beridze", "Smith",
    "Dubois", "Schmidt", "Huseynov", "Demir", "Grigoryan", "Kapanadze", "Volkov", "Ozturk", "Brown", "Martin",
)  # fmt: skip
ANONYMOUS = (
    "a source in the {ministry} of {country}",
    "an official who asked not to be named ({country})",
    "a military source in {country}",
    "a diplomat familiar with the talks ({country})",
    "residents who declined to give their names ({country})",
)
