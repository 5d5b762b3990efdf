"""Check an edits file against the output it edits: what each line will do, or why not.

:func:`plan_edits` reads the lines in order and keeps a running state (where each
building goes, what is locked), so a later line sees what earlier lines did. A
line that breaks a hard rule is refused, with the reason and its line number:

- an unknown building id, small area or census area;
- a building in two places (two lines move it);
- an edit across a township boundary (townships are fixed);
- an edit into, out of or on a locked area (locked census areas lock their small areas);
- a move, merge or redraw that leaves an area in two pieces (found by redrawing the
  touched land on its cells, :mod:`eapart.edits.recut`).

An area pushed out of the size band is not refused: it is applied and flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from eapart.edits.format import Edit, EditsFile
from eapart.edits.recut import Drawn, Job, Region, redraw
from eapart.edits.registry import locked_codes
from eapart.edits.state import Output
from eapart.errors import InputError, list_ids
from eapart.partition.cells.graph import block_lines
from eapart.partition.cells.tessellate import building_points, locate_points, make_blocks


@dataclass
class Verdict:
    """What one line will do (``effect``), or why it is refused (``refused``)."""

    edit: Edit
    effect: str = ""
    refused: str = ""


@dataclass
class Plan:
    """The edits of a file, checked and ready to apply.

    ``label_of``: where each building goes (a small area code, before re-cuts);
    ``touched``: per township, the old small areas whose land is redrawn;
    ``jobs``: per township, the re-cuts to run; ``locks``: lock state set by lines;
    ``blame``: per label or code, the ids of the edits that changed it;
    ``drawn``: per township, the redrawn region (after :func:`plan_edits`);
    ``job_parent``: the census area of each re-cut; ``code_of``: the code each label
    got (filled by :func:`eapart.edits.apply.apply_plan`).
    """

    output: Output
    label_of: pd.Series
    verdicts: list[Verdict] = field(default_factory=list)
    touched: dict[str, set[str]] = field(default_factory=dict)
    jobs: dict[str, list[Job]] = field(default_factory=dict)
    locks: dict[str, bool] = field(default_factory=dict)
    blame: dict[str, list[str]] = field(default_factory=dict)
    drawn: dict[str, Drawn] = field(default_factory=dict)
    job_parent: dict[str, str] = field(default_factory=dict)
    code_of: dict[str, str] = field(default_factory=dict)

    @property
    def refused(self) -> list[Verdict]:
        """The refused lines."""
        return [v for v in self.verdicts if v.refused]


class _Planner:
    """The running state while lines are read (see module docstring)."""

    def __init__(self, output: Output, plan: Plan) -> None:
        b = output.layers["buildings"]
        self.output = output
        self.plan = plan
        self.township = pd.Series(b["township_code"].to_numpy(), index=b["building_id"])
        self.values = pd.Series(b[output.band.measure].to_numpy(dtype=float),
                                index=b["building_id"])
        sa = output.layers["small_areas"]
        self.sa_township = dict(zip(sa["small_area_code"], sa["township_code"], strict=True))
        ca = output.layers["census_areas"]
        self.ca_township = dict(zip(ca["census_area_code"], ca["township_code"], strict=True))
        self.locked = locked_codes(output.registry)
        self.moved_by: dict[str, int] = {}
        self.split_by: dict[str, int] = {}
        self._blocks: dict[str, tuple] = {}

    # --- rules ------------------------------------------------------------------------
    def is_locked(self, code: str) -> bool:
        return code in self.locked or code[:12] in self.locked

    def unknown_buildings(self, ids: list[str]) -> list[str]:
        return [i for i in ids if i not in self.township.index]

    def area_problem(self, code: str) -> str:
        """Why ``code`` cannot take part in an edit, or ''."""
        if code not in self.sa_township:
            return f"unknown small area {code}"
        if code not in set(self.plan.label_of):
            return f"small area {code} holds no building any more (merged or emptied above)"
        if self.is_locked(code):
            return f"small area {code} is locked (unlock it first)"
        return ""

    def move(self, edit: Edit, ids: list[str], target: str) -> str:
        """Move ``ids`` to ``target``; the refusal reason, or ''."""
        if not ids:
            return "no building to move"
        unknown = self.unknown_buildings(ids)
        if unknown:
            return f"unknown building id(s) {list_ids(unknown)}"
        problem = self.area_problem(target)
        if problem:
            return problem.replace("is locked", "is locked: nothing moves into it")
        label = self.plan.label_of
        tw = self.sa_township[target]
        other = [i for i in ids if self.township[i] != tw]
        if other:
            return (f"across a township boundary: building(s) {list_ids(other)} lie in "
                    f"township {self.township[other[0]]}, {target} in {tw}")
        locked = [i for i in ids if self.is_locked(label[i])]
        if locked:
            return f"building(s) {list_ids(locked)} lie in locked small area {label[locked[0]]}"
        twice = [i for i in ids if i in self.moved_by]
        if twice:
            return (f"building {twice[0]} in two places: line {self.moved_by[twice[0]]} "
                    "moves it too")
        sources = sorted(set(label[ids]) - {target})
        for i in ids:
            self.moved_by[i] = edit.line
        label[ids] = target
        self.touch(tw, sources + [target], edit)
        return ""

    def touch(self, township: str, codes: list[str], edit: Edit) -> None:
        self.plan.touched.setdefault(township, set()).update(codes)
        for c in codes:
            self.plan.blame.setdefault(c, []).append(edit.id)

    def block_members(self, building: str) -> list[str]:
        """The buildings of the block (faces between roads, rivers, rail) holding ``building``."""
        tw = self.township[building]
        if tw not in self._blocks:
            out = self.output
            townships = out.layers["townships"]
            poly = townships.loc[townships["township_code"] == tw].geometry.to_crs(
                out.work_crs).iloc[0]
            near = out.barriers[out.barriers.intersects(poly)]
            blocks = make_blocks(poly, block_lines(near)[0])
            b = out.layers["buildings"]
            mine = b[b["township_code"] == tw]
            xy = building_points(mine.geometry.to_crs(out.work_crs).to_numpy())
            self._blocks[tw] = (mine["building_id"].to_numpy(), locate_points(xy, blocks))
        ids, block = self._blocks[tw]
        own = block[np.flatnonzero(ids == building)[0]]
        return list(ids[block == own])

    def inside(self, polygon) -> list[str]:
        b = self.output.layers["buildings"]
        points = shapely.point_on_surface(b.geometry.to_numpy())
        return list(b["building_id"].to_numpy()[shapely.contains(polygon, points)])


def plan_edits(output: Output, edits: EditsFile, start: Plan | None = None) -> Plan:
    """Check every line of ``edits`` against ``output`` (see module docstring)."""
    if edits.made_on != output.made_on:
        raise InputError(
            f"{edits.path}: made on another output (fingerprint {edits.made_on}); "
            f"{output.outdir} has buildings and codes with fingerprint {output.made_on}. "
            "The output changed since the edits were made: make them again on it")
    b = output.layers["buildings"]
    plan = start or Plan(output=output,
                         label_of=pd.Series(b["small_area_code"].to_numpy(dtype=object),
                                            index=b["building_id"].to_numpy()))
    planner = _Planner(output, plan)
    for edit in edits.edits:
        verdict = Verdict(edit=edit)
        verdict.refused = _one(planner, edit)
        if not verdict.refused:
            verdict.effect = _effect(planner, edit)
        plan.verdicts.append(verdict)
    redraw_touched(plan)
    errors = {k: v for d in plan.drawn.values() for k, v in d.job_errors.items()}
    for v in plan.verdicts:
        if v.edit.id in errors and not v.refused:
            v.refused = errors[v.edit.id]
    for label in [lab for d in plan.drawn.values() for lab in d.in_pieces]:
        culprits = plan.blame.get(label, [])
        for v in plan.verdicts:
            if v.edit.id in culprits[-1:] and not v.refused:
                v.refused = f"leaves small area {label} in two pieces"
    return plan


def _one(p: _Planner, edit: Edit) -> str:
    """Apply one line to the running state; the reason it is refused, or ''."""
    op = edit.op
    if op == "move":
        return p.move(edit, edit.buildings, edit.target)
    if op == "move_block":
        if len(edit.buildings) != 1:
            return "move_block takes the id of one building of the block"
        if p.unknown_buildings(edit.buildings):
            return f"unknown building id {edit.buildings[0]}"
        members = p.block_members(edit.buildings[0])
        members = [m for m in members if p.plan.label_of[m] != edit.target]
        return p.move(edit, members, edit.target) if members else \
            "the block already lies in the target"
    if op == "redraw":
        if edit.geometry is None or shapely.get_type_id(edit.geometry) not in (3, 6):
            return "redraw needs a polygon (WKT in the geometry column)"
        ids = p.inside(edit.geometry)
        if not ids:
            return "no building lies inside the drawn polygon"
        ids = [i for i in ids if p.plan.label_of[i] != edit.target]
        return p.move(edit, ids, edit.target) if ids else "everything inside is in the target"
    if op == "merge":
        return _merge(p, edit)
    if op in ("split", "split_groups"):
        return _split(p, edit)
    if op in ("lock", "unlock"):
        return _lock(p, edit)
    if op == "set_count":
        return _set_count(p, edit)
    raise AssertionError(op)


def _merge(p: _Planner, edit: Edit) -> str:
    if len(edit.areas) < 2:
        return "merge needs two or more small areas"
    for code in edit.areas:
        problem = p.area_problem(code)
        if problem:
            return problem
    towns = {p.sa_township[c] for c in edit.areas}
    if len(towns) > 1:
        return f"across a township boundary: the areas lie in {', '.join(sorted(towns))}"
    label = p.plan.label_of
    moving = label.index[label.isin(edit.areas[1:])]
    label[moving] = edit.areas[0]
    p.touch(towns.pop(), list(edit.areas), edit)
    return ""


def _split(p: _Planner, edit: Edit) -> str:
    if len(edit.areas) != 1:
        return f"{edit.op} takes one small area"
    code = edit.areas[0]
    problem = p.area_problem(code)
    if problem:
        return problem
    if code in p.split_by:
        return f"small area {code} is split by line {p.split_by[code]} already"
    members = set(p.plan.label_of.index[p.plan.label_of == code])
    if edit.op == "split":
        if not edit.k or edit.k < 2:
            return "split needs k of 2 or more"
        if edit.k > len(members):
            return f"small area {code} holds {len(members)} buildings: it cannot make {edit.k}"
        job = Job(edit=edit.id, labels=[code], k=edit.k)
    else:
        if len(edit.groups) < 2:
            return "split_groups needs two or more groups (ids, groups separated by |)"
        seen: set[str] = set()
        for group in edit.groups:
            outside = [g for g in group if g not in members]
            if outside:
                return f"building(s) {list_ids(outside)} are not in small area {code}"
            twice = seen & set(group)
            if twice:
                return f"building {sorted(twice)[0]} in two places: it is in two groups"
            seen |= set(group)
        job = Job(edit=edit.id, labels=[code], k=len(edit.groups), groups=edit.groups)
    tw = p.sa_township[code]
    p.split_by[code] = edit.line
    p.plan.jobs.setdefault(tw, []).append(job)
    p.plan.job_parent[edit.id] = code[:12]
    p.touch(tw, [code], edit)
    return ""


def _lock(p: _Planner, edit: Edit) -> str:
    if not edit.areas:
        return f"{edit.op} needs the codes of small or census areas"
    for code in edit.areas:
        if code not in p.sa_township and code not in p.ca_township:
            return f"unknown small or census area {code}"
    for code in edit.areas:
        p.plan.locks[code] = edit.op == "lock"
        if edit.op == "lock":
            p.locked.add(code)
        else:
            p.locked.discard(code)
    return ""


def _set_count(p: _Planner, edit: Edit) -> str:
    if len(edit.areas) != 1 or edit.areas[0] not in p.ca_township:
        return "set_count takes the code of one census area"
    ca = edit.areas[0]
    if ca in p.locked:
        return f"census area {ca} is locked (unlock it first)"
    if not edit.k or edit.k < 1:
        return "set_count needs k of 1 or more"
    label = p.plan.label_of
    mine = sorted(c for c in set(label) if c[:12] == ca)
    free = [c for c in mine if not p.is_locked(c)]
    k = edit.k - (len(mine) - len(free))
    if not free or k < 1:
        return (f"census area {ca} has {len(mine) - len(free)} locked small area(s): "
                f"k={edit.k} leaves none for the rest")
    tw = p.ca_township[ca]
    p.plan.jobs.setdefault(tw, []).append(Job(edit=edit.id, labels=free, k=k))
    p.plan.job_parent[edit.id] = ca
    p.touch(tw, free, edit)
    return ""


def _effect(p: _Planner, edit: Edit) -> str:
    """What an accepted line will do, in words."""
    if edit.op in ("lock", "unlock"):
        return f"{edit.op}s {' '.join(edit.areas)}"
    codes = sorted(c for c, ids in p.plan.blame.items() if edit.id in ids)
    return f"{edit.describe()}; redraws {', '.join(codes)}"


#: Metres of boundary two areas must share for the land of an emptied one to go over.
SHARED_MIN_M = 1.0


def _neighbours_of_emptied(plan: Plan, township: str, locked: set[str]) -> set[str]:
    """Unlocked neighbours of the touched areas left with no building.

    An area whose buildings all left must give its land to a neighbour along a real
    shared boundary, which may lie outside the touched land: that neighbour joins it.
    """
    alive = set(plan.label_of)
    held = set(plan.output.layers["buildings"]["small_area_code"])
    # An area whose buildings went elsewhere gives its land to where they went.
    emptied = [c for c in plan.touched[township] if c not in alive and c not in held]
    if not emptied:
        return set()
    sa = plan.output.layers["small_areas"]
    mine = sa[sa["township_code"] == township]
    geoms = mine.geometry.to_crs(plan.output.work_crs).to_numpy()
    codes = mine["small_area_code"].to_numpy()
    out: set[str] = set()
    for code in emptied:
        own = geoms[np.flatnonzero(codes == code)[0]]
        shared = shapely.length(shapely.intersection(shapely.boundary(geoms),
                                                     shapely.boundary(own)))
        for other in codes[shared > SHARED_MIN_M]:
            if other != code and other not in locked and other[:12] not in locked:
                out.add(other)
    plan.touched[township] |= out
    return out


def redraw_touched(plan: Plan) -> None:
    """Redraw the touched land of each township (fills ``plan.drawn``)."""
    out = plan.output
    b = out.layers["buildings"]
    sa = out.layers["small_areas"]
    locked = locked_codes(out.registry) | {c for c, state in plan.locks.items() if state}
    for tw in sorted(plan.touched):
        codes = sorted(plan.touched[tw] | _neighbours_of_emptied(plan, tw, locked))
        mine = b[b["small_area_code"].isin(codes)]
        region_b = gpd.GeoDataFrame(
            {"building_id": mine["building_id"].to_numpy(),
             "label": plan.label_of[mine["building_id"]].to_numpy(),
             "old": mine["small_area_code"].to_numpy(),
             out.band.measure: mine[out.band.measure].to_numpy()},
            geometry=mine.geometry.to_numpy(), crs=b.crs)
        polys = sa.set_index("small_area_code").loc[codes].geometry.to_numpy()
        region = Region(township=tw, codes=codes, polygons=polys, buildings=region_b)
        plan.drawn[tw] = redraw(region, plan.jobs.get(tw, []), out.barriers, out.work_crs,
                                out.band, out.seed)
