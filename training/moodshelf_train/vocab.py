"""The three built-in vocabularies, strings exactly as in data/paper/README.md."""

MTG_JAMENDO = [
    "action", "adventure", "advertising", "background", "ballad", "calm", "children", "christmas",
    "commercial", "cool", "corporate", "dark", "deep", "documentary", "drama", "dramatic", "dream", "emotional",
    "energetic", "epic", "fast", "film", "fun", "funny", "game", "groovy", "happy", "heavy", "holiday", "hopeful",
    "inspiring", "love", "meditative", "melancholic", "melodic", "motivational", "movie", "nature", "party",
    "positive", "powerful", "relaxing", "retro", "romantic", "sad", "sexy", "slow", "soft", "soundscape", "space",
    "sport", "summer", "trailer", "travel", "upbeat", "uplifting",
]
CAL500 = [
    "angry, aggressive", "arousing, awakening", "bizarre, weird", "calming, soothing", "carefree, lighthearted",
    "cheerful, festive", "emotional, passionate", "exciting, thrilling", "happy", "light, playful",
    "loving, romantic", "pleasant, comfortable", "positive, optimistic", "powerful, strong", "sad", "tender, soft",
    "touching, loving",
]
EMOTIFY = [
    "amazement", "solemnity", "tenderness", "nostalgia", "calmness", "power", "joyful_activation", "tension",
    "sadness",
]

VOCABULARIES = {
    "mtg-jamendo": {"name": "MTG-Jamendo mood/theme", "topK": 2, "labels": MTG_JAMENDO},
    "cal500": {"name": "CAL500 emotion", "topK": 4, "labels": CAL500},
    "emotify": {"name": "Emotify GEMS", "topK": 3, "labels": EMOTIFY},
}
DATASETS = list(VOCABULARIES)
TOP_K = {k: v["topK"] for k, v in VOCABULARIES.items()}

assert len(MTG_JAMENDO) == 56 and len(CAL500) == 17 and len(EMOTIFY) == 9


def vocabulary_entries(datasets=DATASETS, descriptions=None):
    """Manifest `vocabularies` entries. descriptions: optional {dataset: {label: text}}."""
    out = []
    for d in datasets:
        v = VOCABULARIES[d]
        e = {"id": d, "name": v["name"], "topK": v["topK"], "labels": list(v["labels"])}
        if descriptions and descriptions.get(d):
            e["descriptions"] = dict(descriptions[d])
        out.append(e)
    return out
