#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Independent counts for tests/test_gtfs.c: stops, trips and patterns of GTFS feeds on one date.

Usage: python3 count_feed.py YYYY-MM-DD FEED.zip [FEED2.zip ...]

Written apart from layers/gtfs.c with Python's csv and zipfile modules, following the GTFS
reference: a stop is a location_type 0/empty row with coordinates (a platform without takes its
parent station's; 0,0 counts as none); a trip runs when calendar.txt's weekday and date range say
so, corrected by calendar_dates.txt; trips of the day before whose last arrival is >= 24:00:00 run
too; frequencies.txt rows become trips every headway_secs from start_time before end_time;
stop times at stops without coordinates are left out; a pattern is (route, stop sequence,
pick-up/drop-off "1" flags with the first stop's drop-off and the last stop's pick-up ignored),
split first-fit where a trip is earlier than the previous one of a sub-pattern at some stop.
"""
import csv, io, sys, zipfile, datetime

def rows(z, name):
    if name not in z.namelist():
        return []
    return list(csv.DictReader(io.TextIOWrapper(z.open(name), encoding='utf-8-sig')))

def t(s):
    h, m, x = s.strip().split(':')
    return int(h) * 3600 + int(m) * 60 + int(x)

def main():
    date = datetime.date.fromisoformat(sys.argv[1])
    days = {0: date, 1: date - datetime.timedelta(days=1)}
    n_stops = 0
    insts = []
    for path in sys.argv[2:]:
        z = zipfile.ZipFile(path)
        stops = {r['stop_id']: r for r in rows(z, 'stops.txt')}
        def coords(r):
            try:
                la, lo = float(r['stop_lat']), float(r['stop_lon'])
            except (ValueError, KeyError):
                return None
            return None if (la == 0 and lo == 0) else (la, lo)
        good = set()
        for sid, r in stops.items():
            if r.get('location_type', '') not in ('', '0'):
                continue
            c = coords(r) or (coords(stops[r['parent_station']]) if r.get('parent_station') in stops else None)
            if c:
                good.add(sid)
        n_stops += len(good)
        run = {}
        for r in rows(z, 'calendar.txt'):
            s = datetime.datetime.strptime(r['start_date'], '%Y%m%d').date()
            e = datetime.datetime.strptime(r['end_date'], '%Y%m%d').date()
            for k, d in days.items():
                wd = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'][d.weekday()]
                if s <= d <= e and r[wd] == '1':
                    run.setdefault(r['service_id'], set()).add(k)
        for r in rows(z, 'calendar_dates.txt'):
            d = datetime.datetime.strptime(r['date'], '%Y%m%d').date()
            for k, dd in days.items():
                if d == dd:
                    if r['exception_type'] == '1':
                        run.setdefault(r['service_id'], set()).add(k)
                    else:
                        run.setdefault(r['service_id'], set()).discard(k)
        trips = {r['trip_id']: r for r in rows(z, 'trips.txt')}
        st = {}
        for r in rows(z, 'stop_times.txt'):
            st.setdefault(r['trip_id'], []).append(r)
        freqs = {}
        for r in rows(z, 'frequencies.txt'):
            freqs.setdefault(r['trip_id'], []).append((t(r['start_time']), t(r['end_time']), int(r['headway_secs'])))
        for tid, tr in trips.items():
            ks = run.get(tr['service_id'], set())
            if not ks or tid not in st:
                continue
            seq = sorted(st[tid], key=lambda r: int(r['stop_sequence']))
            seq = [r for r in seq if r['stop_id'] in good]
            if len(seq) < 2:
                continue
            stops_ = tuple(r['stop_id'] for r in seq)
            flags = [(r.get('pickup_type', '') == '1') | (r.get('drop_off_type', '') == '1') << 1 for r in seq]
            flags[0] |= 2
            flags[-1] |= 1
            # timed stops only: enough for FIFO on real feeds whose untimed stops lie between timed ones
            arr = [t(r['arrival_time'] or r['departure_time']) if (r['arrival_time'] or r['departure_time']) else None for r in seq]
            dep = [t(r['departure_time'] or r['arrival_time']) if (r['arrival_time'] or r['departure_time']) else None for r in seq]
            starts = [None]
            if tid in freqs:
                starts = [s for (a, b, h) in freqs[tid] for s in range(a, b, h)]
            for s in starts:
                off = 0 if s is None else s - dep[0]
                a2 = [None if x is None else x + off for x in arr]
                d2 = [None if x is None else x + off for x in dep]
                key = (path, tr['route_id'], stops_, tuple(flags))
                if 0 in ks:
                    insts.append((key, a2, d2))
                if 1 in ks and a2[-1] >= 86400:
                    insts.append((key, [None if x is None else x - 86400 for x in a2],
                                  [None if x is None else x - 86400 for x in d2]))
    groups = {}
    for key, a, d in insts:
        groups.setdefault(key, []).append((a, d))
    n_pat = 0
    for key, g in groups.items():
        g.sort(key=lambda x: (x[1][0], x[0][-1]))
        chains = []
        for a, d in g:
            for i, (la, ld) in enumerate(chains):
                if all(x is None or y is None or x <= y for x, y in zip(la + ld, a + d)):
                    chains[i] = (a, d)
                    break
            else:
                chains.append((a, d))
        n_pat += len(chains)
    print(f"stops {n_stops} trips {len(insts)} patterns {n_pat}")

main()
