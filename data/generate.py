"""Generate the small, invented data set of the pandas data lab (lesson 05).

The data describe *BelajarKita*, an invented Indonesian learning app. Parents, schools and
companies (CSR programmes) pay for it; students use it. It is sold directly and through
resellers (bookshops, agents, a teachers' cooperative) that buy vouchers in bulk to sell them on.
Everything is made up; any resemblance to a real family, school or company is a coincidence.

Running ``python data/generate.py`` (from the course folder) writes five CSV files next to this
script, byte for byte the same on every run (fixed seed, fixed number formats, sorted rows,
``\\n`` line endings, no date of today):

``akun.csv``            one row per account (who pays): id_akun, nama_akun, jenis_akun
                        (orang_tua, mandiri, sekolah, perusahaan, reseller), segmen (B2C/B2B),
                        kota, tanggal_daftar, id_reseller (the reseller that sold the voucher, for
                        families that activated one), direkomendasikan_oleh (the account whose
                        referral code a new account used)
``pengguna.csv``        one row per student (who uses): id_pengguna, id_akun, jenjang (SD/SMP/SMA),
                        kelas, tanggal_aktivasi
``pesanan.csv``         one row per order attempt, 2023-2025: id_pesanan, tanggal_pesanan, id_akun,
                        jenis_pesanan (baru, perpanjangan, restock), kanal_penjualan (langsung,
                        reseller), kursi, harga_per_kursi, diskon_persen, nilai (rupiah),
                        status_bayar (lunas, gagal)
``aktivitas.csv``       usage per student and event type, January-June 2025: id_pengguna,
                        peristiwa (unduh_aplikasi, buka_halaman, mulai_latihan, selesai_latihan,
                        unggah_gagal), jumlah (rows with jumlah 0 are left out)
``tiket_internal.csv``  BelajarKita's internal service desk, 2025: id_tiket, tanggal_buat,
                        divisi_peminta, divisi_tujuan, kategori, jam_selesai, id_akun (the external
                        account a ticket is about, if any)

Only the standard library, numpy and pandas are needed (pandas is not even imported: the files
are written with the ``csv`` module so that their bytes never depend on a pandas version).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 2026
START = dt.date(2023, 1, 2)
END = dt.date(2025, 12, 31)
SEMESTER = (dt.date(2025, 1, 1), dt.date(2025, 6, 30))  # the period of aktivitas.csv

rng = np.random.default_rng(SEED)

# -- vocabularies -------------------------------------------------------------------------------

KOTA = ["Jakarta", "Bandung", "Surabaya", "Medan", "Makassar", "Yogyakarta", "Semarang", "Malang",
        "Palembang", "Pontianak", "Denpasar", "Balikpapan", "Manado", "Padang"]
KOTA_P = np.array([18, 12, 11, 9, 7, 7, 7, 6, 5, 4, 4, 4, 3, 3], dtype=float)
KOTA_P /= KOTA_P.sum()

MARGA = ["Siregar", "Nasution", "Wibowo", "Santoso", "Lubis", "Hutapea", "Pratama", "Saputra", "Halim",
         "Rahman", "Hidayat", "Kurniawan", "Setiawan", "Gunawan", "Wijaya", "Sitompul", "Manurung",
         "Pangaribuan", "Simanjuntak", "Harahap", "Purba", "Ginting", "Tarigan", "Sembiring", "Nainggolan",
         "Syahputra", "Firmansyah", "Susanto", "Hakim", "Mahendra", "Putra", "Ramadhan", "Sinaga",
         "Rangkuti", "Tanjung", "Daulay", "Pohan", "Matondang", "Panjaitan", "Situmorang", "Yusuf",
         "Salim", "Anwar", "Iskandar", "Hasibuan", "Wirawan", "Suryadi", "Tambunan", "Simbolon", "Rusdi"]
NAMA_DEPAN = ["Nadia", "Rizky", "Aulia", "Bagas", "Citra", "Dimas", "Farah", "Galih", "Intan", "Joko",
              "Kirana", "Laras", "Made", "Nanda", "Putri", "Raka", "Salsa", "Tegar", "Wulan", "Yosef",
              "Zahra", "Bima", "Dewi", "Fajar", "Hana", "Ilham", "Kevin", "Mega", "Rara", "Sekar"]

# name, jenjang, kota, students, seat buffer, engagement, downloads per student, share of non-users
SEKOLAH = [
    ("SD Negeri 4 Bandung", "SD", "Bandung", 34, 1.10, 1.35, 0.25, 0.06),      # shared class tablets
    ("SD Islam Al-Falah Makassar", "SD", "Makassar", 26, 1.15, 1.00, 1.20, 0.12),
    ("SD Katolik Santa Maria Yogyakarta", "SD", "Yogyakarta", 22, 1.10, 1.10, 1.30, 0.10),
    ("SD Negeri Sukamaju 1 Semarang", "SD", "Semarang", 30, 1.20, 0.85, 1.25, 0.15),
    ("SD Cendekia Palembang", "SD", "Palembang", 18, 1.10, 0.95, 1.40, 0.12),
    ("SMP Negeri 12 Surabaya", "SMP", "Surabaya", 38, 1.15, 0.90, 1.30, 0.14),
    ("SMP Tunas Bangsa Malang", "SMP", "Malang", 44, 1.25, 0.22, 5.60, 0.52),   # mass-install campaign
    ("SMP Muhammadiyah 3 Yogyakarta", "SMP", "Yogyakarta", 28, 1.10, 1.05, 1.35, 0.10),
    ("MTs Nurul Huda Palembang", "SMP", "Palembang", 24, 1.15, 0.95, 1.20, 0.13),
    ("SMP Harapan Kasih Manado", "SMP", "Manado", 20, 1.10, 1.00, 1.30, 0.12),
    ("SMA Negeri 2 Pontianak", "SMA", "Pontianak", 32, 1.15, 0.80, 1.40, 0.18),
    ("SMA Kristen Harapan Medan", "SMA", "Medan", 27, 1.10, 0.95, 1.30, 0.12),
    ("SMA Plus Bina Ilmu Jakarta", "SMA", "Jakarta", 36, 1.20, 0.75, 1.50, 0.16),
    ("SMA Negeri 5 Denpasar", "SMA", "Denpasar", 25, 1.10, 0.90, 1.30, 0.14),
]

# name, city, sponsored students, jenjang of the sponsored community
PERUSAHAAN = [
    ("PT Sinar Tani Nusantara (program CSR)", "Medan", 24, "SD"),
    ("PT Bahari Logistik Indonesia (program CSR)", "Surabaya", 30, "SMP"),
    ("PT Kopi Rempah Sumatra (program CSR)", "Padang", 16, "SD"),
    ("BPR Makmur Sentosa (program CSR)", "Semarang", 14, "SMP"),
    ("PT Energi Kalimantan Lestari (program CSR)", "Balikpapan", 26, "SD"),
]

# name, city, activation rate of the vouchers it sold on, mean seats per restock, restocks
RESELLER = [
    ("Toko Buku Cahaya Ilmu", "Bandung", 0.90, 22, 6),
    ("Toko Buku Pelita", "Medan", 0.84, 18, 5),
    ("Agen Edukasi Nusantara", "Surabaya", 0.42, 30, 5),
    ("Koperasi Guru Sejahtera", "Makassar", 0.78, 14, 4),
    ("Toko Alat Tulis Sinar Jaya", "Palembang", 0.63, 12, 4),
]

HARGA = {"orang_tua": 300_000, "mandiri": 250_000, "sekolah": 150_000, "perusahaan": 180_000,
         "reseller": 210_000}
RENEW_P = {"orang_tua": 0.62, "mandiri": 0.50, "sekolah": 0.88, "perusahaan": 0.70}
SEGMEN = {"orang_tua": "B2C", "mandiri": "B2C", "sekolah": "B2B", "perusahaan": "B2B", "reseller": "B2B"}
KELAS = {"SD": (1, 6), "SMP": (7, 9), "SMA": (10, 12)}


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=int(offset))


def rand_date(lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=int(rng.integers(0, (hi - lo).days + 1)))


def pick(seq, p=None):
    return seq[int(rng.choice(len(seq), p=p))]


# -- accounts and orders -----------------------------------------------------------------------

accounts: list[dict] = []   # before IDs are assigned
orders: list[dict] = []     # rows of pesanan, keyed to accounts by list position


def add_account(**fields) -> int:
    accounts.append({"id_reseller": "", "direkomendasikan_oleh": "", **fields})
    return len(accounts) - 1


def add_order(acc: int, date: dt.date, jenis: str, kursi: int, diskon: int, kanal: str = "langsung") -> None:
    harga = HARGA[accounts[acc]["jenis_akun"]]
    nilai = round(kursi * harga * (100 - diskon) / 100)
    row = {"acc": acc, "tanggal_pesanan": date, "jenis_pesanan": jenis, "kanal_penjualan": kanal,
           "kursi": kursi, "harga_per_kursi": harga, "diskon_persen": diskon, "nilai": nilai}
    # a failed payment attempt (card declined, virtual account expired) before the paid one
    if rng.random() < 0.05:
        orders.append({**row, "tanggal_pesanan": date - dt.timedelta(days=int(rng.integers(1, 4))),
                       "status_bayar": "gagal"})
    orders.append({**row, "status_bayar": "lunas"})


def subscription_history(acc: int, first: dt.date, seats, p_renew: float, b2c: bool) -> list[dt.date]:
    """First order and yearly renewals until the account stops or the data end; returns order dates."""
    dates = []
    date, n = first, 0
    while date <= END:
        if n == 0:
            diskon = int(pick([25, 30, 40])) if (b2c and rng.random() < 0.62) else 0
            add_order(acc, date, "baru", seats(), diskon)
        else:
            diskon = 10 if (b2c and rng.random() < 0.12) else 0
            if b2c and rng.random() < 0.03:   # a renewal lost to a failed payment nobody retried
                kursi, harga = seats(), HARGA[accounts[acc]["jenis_akun"]]
                orders.append({"acc": acc, "tanggal_pesanan": date, "jenis_pesanan": "perpanjangan",
                               "kanal_penjualan": "langsung", "kursi": kursi, "harga_per_kursi": harga,
                               "diskon_persen": diskon, "nilai": round(kursi * harga * (100 - diskon) / 100),
                               "status_bayar": "gagal"})
                break
            add_order(acc, date, "perpanjangan", seats(), diskon)
        dates.append(date)
        n += 1
        nxt = date + dt.timedelta(days=365 + int(rng.integers(-10, 11)))
        if nxt > END or rng.random() > p_renew:
            break
        date = nxt
    return dates


def first_order_date() -> dt.date:
    year = int(rng.choice([2023, 2024, 2025], p=[0.36, 0.33, 0.31]))
    lo = dt.date(year, 1, 2)
    hi = dt.date(year, 11, 30) if year == 2025 else dt.date(year, 12, 28)
    return rand_date(lo, hi)


students: list[dict] = []   # rows of pengguna, keyed to accounts by position
history: dict[int, list[dt.date]] = {}


def add_students(acc: int, n: int, jenjang_of, start: dt.date, spread: int) -> None:
    for _ in range(n):
        jenjang = jenjang_of()
        lo, hi = KELAS[jenjang]
        students.append({"acc": acc, "jenjang": jenjang, "kelas": int(rng.integers(lo, hi + 1)),
                         "tanggal_aktivasi": start + dt.timedelta(days=int(rng.integers(0, spread + 1)))})


def family_jenjang():
    return pick(["SD", "SMP", "SMA"], p=[0.55, 0.30, 0.15])


# families that buy directly
for _ in range(200):
    anak = int(rng.choice([1, 2, 3], p=[0.52, 0.36, 0.12]))
    first = first_order_date()
    acc = add_account(nama_akun=f"Keluarga {pick(MARGA)}", jenis_akun="orang_tua",
                      kota=pick(KOTA, p=KOTA_P), tanggal_daftar=first)
    history[acc] = subscription_history(acc, first, lambda a=anak: a, RENEW_P["orang_tua"], True)
    add_students(acc, anak, family_jenjang, first, 10)

# students (mostly SMA) who pay for themselves: customer and user at once
for _ in range(35):
    first = first_order_date()
    acc = add_account(nama_akun=f"{pick(NAMA_DEPAN)} {pick(MARGA)[0]}.", jenis_akun="mandiri",
                      kota=pick(KOTA, p=KOTA_P), tanggal_daftar=first)
    history[acc] = subscription_history(acc, first, lambda: 1, RENEW_P["mandiri"], True)
    add_students(acc, 1, lambda: "SMA", first, 2)

# schools: every school is active during the semester of aktivitas.csv
school_params = {}
for name, jenjang, kota, n, buffer, engage, unduh, idle in SEKOLAH:
    first = rand_date(dt.date(2023, 1, 9), dt.date(2024, 12, 20))
    acc = add_account(nama_akun=name, jenis_akun="sekolah", kota=kota, tanggal_daftar=first)
    seats = round(n * buffer)
    history[acc] = subscription_history(acc, first, lambda s=seats: s + int(rng.integers(-2, 3)),
                                        1.0, False)
    add_students(acc, n, lambda j=jenjang: j, first, 25)
    school_params[acc] = (engage, unduh, idle)

# companies that sponsor students of a community they support (CSR)
for name, kota, n, jenjang in PERUSAHAAN:
    first = rand_date(dt.date(2023, 3, 1), dt.date(2024, 10, 31))
    acc = add_account(nama_akun=name, jenis_akun="perusahaan", kota=kota, tanggal_daftar=first)
    history[acc] = subscription_history(acc, first, lambda s=n: s, 1.0 if first.year == 2024 else 0.75, False)
    add_students(acc, n, lambda j=jenjang: j, first, 20)

# resellers buy vouchers in bulk (restock) and sell them on; families activate the vouchers
for name, kota, rate, mean_seats, restocks in RESELLER:
    joined = rand_date(dt.date(2024, 1, 8), dt.date(2024, 4, 30))
    acc = add_account(nama_akun=name, jenis_akun="reseller", kota=kota, tanggal_daftar=joined)
    gap = (dt.date(2025, 11, 30) - joined).days // restocks
    bought = []
    for k in range(restocks):
        date = joined + dt.timedelta(days=k * gap + int(rng.integers(0, 20)))
        kursi = max(5, round(rng.normal(mean_seats, mean_seats * 0.25)))
        add_order(acc, date, "restock", kursi, 0, kanal="reseller")
        bought.append((date, kursi))
    # families activate a share of every batch within a few months
    for date, kursi in bought:
        left = round(kursi * rate)
        while left > 0:
            anak = min(left, int(rng.choice([1, 2], p=[0.72, 0.28])))
            when = date + dt.timedelta(days=int(rng.integers(3, 120)))
            if when > END:
                when = END - dt.timedelta(days=int(rng.integers(0, 20)))
            fam = add_account(nama_akun=f"Keluarga {pick(MARGA)}", jenis_akun="orang_tua", kota=kota,
                              tanggal_daftar=when, id_reseller=acc)
            history[fam] = [when]
            add_students(fam, anak, family_jenjang, when, 3)
            left -= anak

# -- referrals: loyal B2C customers recommend more ----------------------------------------------
renewals = {acc: len(dates) - 1 for acc, dates in history.items()}
direct_b2c = [i for i, a in enumerate(accounts)
              if a["jenis_akun"] in ("orang_tua", "mandiri") and not a["id_reseller"]]
by_first = sorted(direct_b2c, key=lambda i: (accounts[i]["tanggal_daftar"], i))
for i in by_first:
    if rng.random() >= 0.42:
        continue
    me = accounts[i]["tanggal_daftar"]
    cands = [j for j in by_first if accounts[j]["tanggal_daftar"] <= me - dt.timedelta(days=60)
             and history[j][-1] + dt.timedelta(days=365) >= me]   # still subscribed when recommending
    if not cands:
        continue
    w = np.array([[1.0, 2.4, 4.5][renewals[j]] for j in cands])
    accounts[i]["direkomendasikan_oleh"] = cands[int(rng.choice(len(cands), p=w / w.sum()))]

# -- IDs ------------------------------------------------------------------------------------------
order_of_acc = sorted(range(len(accounts)), key=lambda i: (accounts[i]["tanggal_daftar"], accounts[i]["nama_akun"], i))
acc_id = {i: f"A{n + 1:04d}" for n, i in enumerate(order_of_acc)}
order_of_stu = sorted(range(len(students)),
                      key=lambda i: (students[i]["tanggal_aktivasi"], acc_id[students[i]["acc"]], i))
stu_id = {i: f"S{n + 1:04d}" for n, i in enumerate(order_of_stu)}

# -- activity, January-June 2025 ------------------------------------------------------------------


def active_in_semester(acc: int) -> bool:
    lo, hi = SEMESTER
    paid = [d for d in history[acc] if d <= hi and d + dt.timedelta(days=365) >= lo]
    return bool(paid)


ERR = {"SD": (0.05, 1.2), "SMP": (0.30, 1.4), "SMA": (0.12, 9.0)}   # share affected, mean events
activity: list[tuple[str, str, int]] = []
for i in order_of_stu:
    s = students[i]
    acc = s["acc"]
    if s["tanggal_aktivasi"] > SEMESTER[1] or not active_in_semester(acc):
        continue
    jenis = accounts[acc]["jenis_akun"]
    engage, unduh_rate, idle = school_params.get(acc, ({"mandiri": 1.1, "perusahaan": 0.8}.get(jenis, 1.0),
                                                         1.3, {"perusahaan": 0.20}.get(jenis, 0.15)))
    user = rng.random() >= idle
    unduh = int(rng.poisson(unduh_rate)) if unduh_rate >= 1 else int(rng.random() < unduh_rate)
    if unduh_rate >= 1 and unduh == 0 and user:
        unduh = 1
    if user:
        mulai = max(1, int(rng.poisson(rng.gamma(2.0, 16.0) * engage)))
        selesai = int(rng.binomial(mulai, min(0.95, 0.55 + 0.2 * engage)))
        halaman = int(rng.poisson(35 + 2.5 * mulai))
        p_err, m_err = ERR[s["jenjang"]]
        gagal = 1 + int(rng.poisson(m_err - 1)) if rng.random() < p_err else 0
    else:
        mulai = selesai = gagal = 0
        halaman = int(rng.poisson(6 if unduh else 0))
    if unduh_rate > 3:      # the mass-install school also piles up page views
        halaman += int(rng.poisson(70))
    sid = stu_id[i]
    for event, n in (("unduh_aplikasi", unduh), ("buka_halaman", halaman), ("mulai_latihan", mulai),
                     ("selesai_latihan", selesai), ("unggah_gagal", gagal)):
        if n > 0:
            activity.append((sid, event, n))

# -- internal service desk, 2025 ------------------------------------------------------------------
# requester, provider, categories, weight, median hours, spread, P(about an external account), account types
FLOWS = [
    ("Customer Service", "IT Support", ["reset_akun_siswa", "unggah_gagal", "akses_siswa"], 112, 4.0, 0.7, 0.85,
     ("orang_tua", "mandiri", "sekolah", "perusahaan")),
    ("Sales", "IT Support", ["akun_massal_sekolah", "akun_demo"], 58, 7.0, 0.6, 0.75, ("sekolah", "perusahaan")),
    ("HR", "IT Support", ["laptop_karyawan_baru", "akses_email"], 36, 9.0, 0.6, 0.0, ()),
    ("Konten", "IT Support", ["server_video", "akses_cms"], 26, 6.0, 0.7, 0.0, ()),
    ("Keuangan", "IT Support", ["akses_sistem_akuntansi"], 15, 5.0, 0.6, 0.0, ()),
    ("Marketing", "IT Support", ["landing_page"], 12, 12.0, 0.6, 0.0, ()),
    ("Operasional", "IT Support", ["printer_gudang", "akses_email"], 9, 6.0, 0.6, 0.0, ()),
    ("Sales", "Keuangan", ["faktur_sekolah", "penawaran_harga"], 44, 30.0, 0.5, 0.90, ("sekolah", "perusahaan")),
    ("Customer Service", "Keuangan", ["pengembalian_dana", "bayar_gagal"], 26, 38.0, 0.5, 1.0,
     ("orang_tua", "mandiri")),
    ("Keuangan", "Sales", ["dokumen_kontrak", "purchase_order"], 40, 20.0, 0.6, 0.90,
     ("sekolah", "perusahaan", "reseller")),
    ("Marketing", "Konten", ["materi_promosi"], 30, 24.0, 0.5, 0.0, ()),
    ("Customer Service", "Konten", ["soal_keliru"], 30, 16.0, 0.6, 0.5, ("orang_tua", "sekolah")),
    ("Sales", "Konten", ["materi_presentasi_sekolah"], 14, 14.0, 0.5, 0.6, ("sekolah",)),
    ("Sales", "Operasional", ["kirim_kartu_voucher"], 20, 22.0, 0.5, 1.0, ("reseller",)),
    ("Operasional", "Sales", ["data_stok_reseller"], 10, 10.0, 0.5, 0.8, ("reseller",)),
    ("Sales", "HR", ["cuti", "slip_gaji"], 12, 14.0, 0.6, 0.0, ()),
    ("Customer Service", "HR", ["cuti", "jadwal_shift"], 14, 14.0, 0.6, 0.0, ()),
    ("Konten", "HR", ["rekrutmen_penulis_soal"], 8, 60.0, 0.5, 0.0, ()),
    ("Keuangan", "HR", ["data_lembur"], 8, 18.0, 0.5, 0.0, ()),
    ("Operasional", "Keuangan", ["reimburse_pengiriman"], 10, 28.0, 0.5, 0.0, ()),
    ("IT Support", "Keuangan", ["pembelian_lisensi"], 8, 40.0, 0.5, 0.0, ()),
    ("IT Support", "HR", ["akses_karyawan_keluar"], 5, 12.0, 0.5, 0.0, ()),
]
by_type: dict[str, list[tuple[dt.date, str]]] = {}
for i in order_of_acc:
    by_type.setdefault(accounts[i]["jenis_akun"], []).append((accounts[i]["tanggal_daftar"], acc_id[i]))
tickets = []
weights = np.array([f[3] for f in FLOWS], dtype=float)
for _ in range(int(weights.sum())):
    flow = FLOWS[int(rng.choice(len(FLOWS), p=weights / weights.sum()))]
    peminta, tujuan, kategori, _w, median, spread, p_akun, types = flow
    created = rand_date(dt.date(2025, 1, 2), dt.date(2025, 12, 23))
    jam = max(0.5, round(float(rng.lognormal(np.log(median), spread)), 1))
    akun = ""
    if rng.random() < p_akun:   # only accounts that already existed on the day of the ticket
        pool = [x for t in types for since, x in by_type.get(t, []) if since <= created]
        akun = pool[int(rng.integers(0, len(pool)))]
    tickets.append({"tanggal_buat": created, "divisi_peminta": peminta, "divisi_tujuan": tujuan,
                    "kategori": pick(kategori), "jam_selesai": jam, "id_akun": akun})
tickets.sort(key=lambda t: (t["tanggal_buat"], t["divisi_peminta"], t["divisi_tujuan"], t["kategori"],
                            t["jam_selesai"]))

# -- write ---------------------------------------------------------------------------------------


def write(name: str, header: list[str], rows: list[list]) -> None:
    with (HERE / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def iso(d: dt.date) -> str:
    return d.isoformat()


def main() -> None:
    """Write the five CSV files and print their sizes."""
    write("akun", ["id_akun", "nama_akun", "jenis_akun", "segmen", "kota", "tanggal_daftar", "id_reseller",
                   "direkomendasikan_oleh"],
          [[acc_id[i], a["nama_akun"], a["jenis_akun"], SEGMEN[a["jenis_akun"]], a["kota"], iso(a["tanggal_daftar"]),
            acc_id[a["id_reseller"]] if a["id_reseller"] != "" else "",
            acc_id[a["direkomendasikan_oleh"]] if a["direkomendasikan_oleh"] != "" else ""]
           for i, a in ((i, accounts[i]) for i in order_of_acc)])

    write("pengguna", ["id_pengguna", "id_akun", "jenjang", "kelas", "tanggal_aktivasi"],
          [[stu_id[i], acc_id[students[i]["acc"]], students[i]["jenjang"], students[i]["kelas"],
            iso(students[i]["tanggal_aktivasi"])] for i in order_of_stu])

    orders.sort(key=lambda o: (o["tanggal_pesanan"], acc_id[o["acc"]], o["status_bayar"] == "lunas"))
    write("pesanan", ["id_pesanan", "tanggal_pesanan", "id_akun", "jenis_pesanan", "kanal_penjualan", "kursi",
                      "harga_per_kursi", "diskon_persen", "nilai", "status_bayar"],
          [[f"P{n + 1:05d}", iso(o["tanggal_pesanan"]), acc_id[o["acc"]], o["jenis_pesanan"], o["kanal_penjualan"],
            o["kursi"], o["harga_per_kursi"], o["diskon_persen"], o["nilai"], o["status_bayar"]]
           for n, o in enumerate(orders)])

    activity.sort()
    write("aktivitas", ["id_pengguna", "peristiwa", "jumlah"], [list(r) for r in activity])

    write("tiket_internal", ["id_tiket", "tanggal_buat", "divisi_peminta", "divisi_tujuan", "kategori", "jam_selesai",
                             "id_akun"],
          [[f"T{n + 1:04d}", iso(t["tanggal_buat"]), t["divisi_peminta"], t["divisi_tujuan"], t["kategori"],
            f"{t['jam_selesai']:.1f}", t["id_akun"]] for n, t in enumerate(tickets)])
    for name in ("akun", "pengguna", "pesanan", "aktivitas", "tiket_internal"):
        path = HERE / f"{name}.csv"
        with path.open(encoding="utf-8") as fh:
            rows = sum(1 for _ in fh) - 1
        print(f"{path.name:<20} {rows:>5} rows  {path.stat().st_size / 1024:6.1f} KB")


if __name__ == "__main__":
    main()
