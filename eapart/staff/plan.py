"""The assignment plan: every small area to an enumerator slot, every slot to a team.

:func:`make_plan` forms workloads (:mod:`eapart.staff.workloads`) and teams
(:mod:`eapart.staff.teams`) and names them (:mod:`eapart.staff.numbering`). Given
an earlier assignment, each small area whose code is unchanged keeps its slot and
team (a tower keeps its number of shares and their slots); only the other small
areas are formed again, into new slots, which join a neighbouring team with room
or form new teams. A kept slot whose areas no longer touch keeps its largest piece.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from eapart.domain.schema import CENSUS_AREA_CODE, SMALL_AREA_CODE, TOWNSHIP_CODE
from eapart.staff.adjacency import pieces
from eapart.staff.data import AssignInput
from eapart.staff.norms import StaffNorms
from eapart.staff.numbering import SLOT_MARK, TEAM_MARK, number_new, parse
from eapart.staff.teams import form_teams, slot_pairs
from eapart.staff.workloads import area_load, form_workloads, tower_pieces

SLOT = "enumerator_slot"
TEAM = "supervisor_team"


@dataclass
class Plan:
    """``pieces``: one row per small area and slot holding it (a shared small area has
    one row per share); ``slots``: one row per enumerator slot; ``teams``: one row per
    supervisor team; ``kept``: small areas that kept their slot from an earlier run."""

    pieces: pd.DataFrame
    slots: pd.DataFrame
    teams: pd.DataFrame
    kept: int = 0


def _kept_pieces(data: AssignInput, previous: pd.DataFrame, norms: StaffNorms) -> pd.DataFrame:
    """Pieces of the small areas whose code is unchanged, with their earlier slot and team."""
    codes = set(data.areas[SMALL_AREA_CODE])
    old = previous[previous[SMALL_AREA_CODE].isin(codes)]
    rows = []
    areas = data.areas.set_index(SMALL_AREA_CODE)
    by_area = data.buildings.groupby(SMALL_AREA_CODE, sort=False).indices
    for code, group in old.groupby(SMALL_AREA_CODE, sort=True):
        group = group.sort_values("share")
        if len(group) == 1:
            area = areas.loc[code]
            rows.append({SMALL_AREA_CODE: code, "share": 1, "shares": 1,
                         "share_buildings": "",
                         "households": float(np.nan_to_num(area["households"])),
                         "persons": float(np.nan_to_num(area["persons"])),
                         "buildings": int(area["buildings"]),
                         SLOT: group[SLOT].iat[0], TEAM: group[TEAM].iat[0]})
            continue
        mine = data.buildings.iloc[by_area.get(code, [])]
        for piece, (_, old_row) in zip(tower_pieces(code, len(group), mine, norms),
                                       group.iterrows(), strict=True):
            rows.append(piece | {SLOT: old_row[SLOT], TEAM: old_row[TEAM]})
    return pd.DataFrame(rows)


def _release_broken(kept: pd.DataFrame, data: AssignInput, norms: StaffNorms) -> pd.DataFrame:
    """Keep only the largest connected piece of each kept slot (by load)."""
    if kept.empty:
        return kept
    position = pd.Series(np.arange(len(data.areas)), index=data.areas[SMALL_AREA_CODE])
    whole = kept[kept["shares"] == 1]
    n = len(data.areas)
    label = np.full(n, -1, dtype=np.int64)
    slot_codes, slot_id = np.unique(whole[SLOT], return_inverse=True)
    label[position[whole[SMALL_AREA_CODE]].to_numpy()] = slot_id
    piece = pieces(n, data.pairs, label) if len(data.pairs) else np.arange(n)
    at = position[whole[SMALL_AREA_CODE]].to_numpy()
    load = area_load(whole["households"], whole["persons"], norms)
    frame = pd.DataFrame({"slot": slot_id, "piece": piece[at], "load": load})
    weight = frame.groupby(["slot", "piece"])["load"].sum().reset_index()
    best = weight.sort_values(["slot", "load", "piece"], ascending=[True, False, True])
    best = best.drop_duplicates("slot").set_index("slot")["piece"]
    keep = frame["piece"].to_numpy() == best.reindex(frame["slot"]).to_numpy()
    return pd.concat([whole[keep], kept[kept["shares"] > 1]], ignore_index=True)


def _slot_table(all_pieces: pd.DataFrame, data: AssignInput, norms: StaffNorms) -> pd.DataFrame:
    """One row per slot: where it lies, what it holds, and a point to number it by."""
    areas = data.areas.set_index(SMALL_AREA_CODE)
    frame = all_pieces.join(areas[[CENSUS_AREA_CODE, TOWNSHIP_CODE, "x", "y"]],
                            on=SMALL_AREA_CODE)
    frame["load"] = area_load(frame["households"], frame["persons"], norms)
    main = (frame.sort_values(["load", SMALL_AREA_CODE], ascending=[False, True])
            .drop_duplicates(SLOT).set_index(SLOT))
    grouped = frame.groupby(SLOT, sort=True)
    slots = pd.DataFrame({
        TOWNSHIP_CODE: main[TOWNSHIP_CODE],
        CENSUS_AREA_CODE: main[CENSUS_AREA_CODE],
        "census_areas": grouped[CENSUS_AREA_CODE].nunique(),
        "small_areas": grouped.size(),
        "households": grouped["households"].sum(),
        "persons": grouped["persons"].sum(),
        "buildings": grouped["buildings"].sum(),
        "load": grouped["load"].sum(),
        "x": grouped["x"].mean(), "y": grouped["y"].mean(),
    })
    slots.index.name = SLOT
    return slots.sort_index()


def make_plan(data: AssignInput, norms: StaffNorms, previous: pd.DataFrame | None = None
              ) -> Plan:
    """Form, keep and name the slots and teams of ``data``."""
    kept = pd.DataFrame()
    if previous is not None and len(previous):
        kept = _release_broken(_kept_pieces(data, previous, norms), data, norms)
    kept_codes = set(kept[SMALL_AREA_CODE]) if len(kept) else set()
    free = ~data.areas[SMALL_AREA_CODE].isin(kept_codes).to_numpy()
    new = form_workloads(data.areas, data.pairs, data.shared, data.buildings, norms, free)
    # Names of the earlier run are never given to another workload or team.
    old_slots = set(previous[SLOT].dropna()) if previous is not None else set()
    old_teams = set(previous[TEAM].dropna()) if previous is not None else set()
    new = _name_new_slots(new, data, taken=old_slots)
    all_pieces = pd.concat([kept, new], ignore_index=True) if len(kept) else new
    all_pieces = all_pieces.astype({"households": float, "persons": float, "buildings": int,
                                    "share": int, "shares": int})
    slots = _slot_table(all_pieces.drop(columns=[TEAM], errors="ignore"), data, norms)
    team_of = (kept.drop_duplicates(SLOT).set_index(SLOT)[TEAM] if len(kept)
               else pd.Series(dtype=object))
    slots[TEAM] = _teams(slots, all_pieces, data, norms, team_of, old_teams)
    all_pieces[TEAM] = all_pieces[SLOT].map(slots[TEAM])
    all_pieces = all_pieces.join(
        data.areas.set_index(SMALL_AREA_CODE)[[CENSUS_AREA_CODE, TOWNSHIP_CODE]],
        on=SMALL_AREA_CODE)
    all_pieces = all_pieces.sort_values([SMALL_AREA_CODE, "share"]).reset_index(drop=True)
    return Plan(pieces=all_pieces, slots=slots, teams=_team_table(slots),
                kept=len(kept_codes))


def _name_new_slots(new: pd.DataFrame, data: AssignInput, taken: set[str]) -> pd.DataFrame:
    """Replace the new pieces' slot labels by names, serpentine in each census area."""
    if new.empty:
        return new.assign(**{SLOT: pd.Series(dtype=object)}).drop(columns="slot")
    areas = data.areas.set_index(SMALL_AREA_CODE)
    frame = new.join(areas[[CENSUS_AREA_CODE, "x", "y"]], on=SMALL_AREA_CODE)
    frame["load"] = frame["households"] + 1e-9  # only to pick each slot's main census area
    main = (frame.sort_values(["load", SMALL_AREA_CODE], ascending=[False, True])
            .drop_duplicates("slot").set_index("slot").sort_index())
    point = frame.groupby("slot")[["x", "y"]].mean().loc[main.index]
    names = number_new(main[CENSUS_AREA_CODE], point["x"].to_numpy(),
                       point["y"].to_numpy(), SLOT_MARK, taken)
    mapping = dict(zip(main.index, names, strict=True))
    return new.assign(**{SLOT: new["slot"].map(mapping)}).drop(columns="slot")


def _teams(slots: pd.DataFrame, all_pieces: pd.DataFrame, data: AssignInput,
           norms: StaffNorms, team_of: pd.Series, old_teams: set[str]) -> pd.Series:
    """Team name of every slot: kept ones stay, new ones join or form teams."""
    per = int(norms.enumerators_per_supervisor)
    team = pd.Series(slots.index.map(team_of), index=slots.index, dtype=object)
    fits = np.array([_team_fits(t, tw) for t, tw in
                     zip(team, slots[TOWNSHIP_CODE], strict=True)], dtype=bool)
    team = team.where(fits)
    held = all_pieces[[SMALL_AREA_CODE, SLOT]].copy()
    held["slot_index"] = slots.index.get_indexer(held[SLOT])
    position = pd.Series(np.arange(len(data.areas)), index=data.areas[SMALL_AREA_CODE])
    links = slot_pairs(held, position, data.pairs.reshape(-1, 2), data.shared)
    shared = held[SMALL_AREA_CODE].duplicated(keep=False)
    # The shares of one small area form one unit (one team), or, when they are more
    # than a team, units of a team's size in share order.
    share_rank = all_pieces.groupby(SMALL_AREA_CODE).cumcount() // per
    held["unit"] = held[SMALL_AREA_CODE] + "#" + share_rank.astype(str)
    area_of = held[shared].drop_duplicates(SLOT).set_index(SLOT)["unit"]
    new = team.isna().to_numpy()
    if team.notna().any() and new.any():
        team = _join_teams(team, slots, links, per, skip=slots.index.isin(area_of.index))
        new = team.isna().to_numpy()
    if not new.any():
        return team
    index = np.flatnonzero(new)
    local = np.full(len(slots), -1, dtype=np.int64)
    local[index] = np.arange(len(index))
    a, b = local[links["a"].to_numpy()], local[links["b"].to_numpy()]
    inside = (a >= 0) & (b >= 0)
    sub_links = pd.DataFrame({"a": a[inside], "b": b[inside],
                              "cost": links["cost"].to_numpy()[inside]})
    unit_key = pd.Series(slots.index, index=slots.index).where(
        ~slots.index.isin(area_of.index), slots.index.map(area_of))
    labels = form_teams(slots.iloc[index], sub_links, per, seed=norms.seed,
                        unit=unit_key.iloc[index].to_numpy().astype(str))
    sub = slots.iloc[index].assign(team=labels)
    main = sub.groupby("team").agg(township_code=(TOWNSHIP_CODE, "first"),
                                   x=("x", "mean"), y=("y", "mean"))
    names = number_new(main[TOWNSHIP_CODE], main["x"].to_numpy(), main["y"].to_numpy(),
                       TEAM_MARK, set(team.dropna()) | old_teams)
    mapping = dict(zip(main.index, names, strict=True))
    team.iloc[index] = [mapping[label] for label in labels]
    return team


def _team_fits(name: object, township: str) -> bool:
    parsed = parse(name) if isinstance(name, str) else None
    return bool(parsed and parsed[1] == TEAM_MARK and parsed[0] == township)


def _join_teams(team: pd.Series, slots: pd.DataFrame, links: pd.DataFrame,
                per: int, skip: np.ndarray) -> pd.Series:
    """New slots join a touching team of their township that has room, smallest first
    (shares of a tower, ``skip``, form teams together instead)."""
    team = team.copy()
    township = slots[TOWNSHIP_CODE].to_numpy()
    changed = True
    while changed:
        changed = False
        size = team.value_counts()
        for i in np.flatnonzero(team.isna().to_numpy() & ~skip):
            near = np.concatenate([links["b"][links["a"] == i], links["a"][links["b"] == i]])
            options = {team.iat[j] for j in near
                       if isinstance(team.iat[j], str) and township[j] == township[i]
                       and size.get(team.iat[j], 0) < per}
            if options:
                choice = min(options, key=lambda t: (size.get(t, 0), t))
                team.iat[i] = choice
                size[choice] = size.get(choice, 0) + 1
                changed = True
    return team


def _team_table(slots: pd.DataFrame) -> pd.DataFrame:
    """One row per team: township, enumerators, households and persons."""
    grouped = slots.groupby(TEAM, sort=True)
    teams = pd.DataFrame({
        TOWNSHIP_CODE: grouped[TOWNSHIP_CODE].first(),
        "enumerators": grouped.size(),
        "census_areas": grouped[CENSUS_AREA_CODE].nunique(),
        "households": grouped["households"].sum(),
        "persons": grouped["persons"].sum(),
        "x": grouped["x"].mean(), "y": grouped["y"].mean(),
    })
    teams.index.name = TEAM
    return teams
