"""The no-code track of the data lab: ``notebooks/05b_lab_tanpa_kode.ipynb``, generated from the CSVs.

Lesson 05 computes its tables with pandas. A learner who cannot program reads the same results here as
Markdown tables, computed by this script from the committed data (deterministic: same CSVs, same
text), and answers the interpretation items of bank 05 in widgets (``tampilkan("5.16")`` to ``tampilkan("5.19")``), in
JupyterLab or in Voilà.

    python data/tabel_tanpa_kode.py            # (re)write notebooks/05b_lab_tanpa_kode.ipynb
    python data/tabel_tanpa_kode.py --print    # print the tables only (to copy into bank scenarios)

Cell ids are fixed (``l05b-NN``); a cell whose source did not change keeps its stored outputs, so
``kenali build --lessons-only --only 05`` stores the widgets' outputs and nbval compares them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pandas as pd

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE.parent / "notebooks" / "05b_lab_tanpa_kode.ipynb"
MINUTES = 35


def muat(nama: str) -> pd.DataFrame:
    path = HERE / f"{nama}.csv"
    head = pd.read_csv(path, nrows=0).columns
    return pd.read_csv(path, parse_dates=[c for c in head if c.startswith("tanggal")])


def angka(x: float, desimal: int = 0) -> str:
    """Indonesian number format: 1.234 and 12,5."""
    s = f"{x:,.{desimal}f}"
    return s.replace(",", "_").replace(".", ",").replace("_", ".")


def tabel_md(df: pd.DataFrame, index_label: str) -> str:
    cols = [index_label, *map(str, df.columns)]
    rows = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, row in df.iterrows():
        rows.append("| " + " | ".join([str(idx), *map(str, row.tolist())]) + " |")
    return "\n".join(rows)


def hitung() -> dict[str, str]:
    akun, pengguna, pesanan = muat("akun"), muat("pengguna"), muat("pesanan")
    aktivitas, tiket = muat("aktivitas"), muat("tiket_internal")
    lunas = pesanan[pesanan["status_bayar"] == "lunas"]
    out: dict[str, str] = {}

    # siapa membayar, siapa memakai
    gabung = pengguna.merge(akun, on="id_akun")
    per_jenis = pd.DataFrame({"akun": akun["jenis_akun"].value_counts(),
                              "siswa": gabung["jenis_akun"].value_counts()}).fillna(0).astype(int)
    per_jenis["siswa per akun"] = [angka(s / a, 1) for s, a in zip(per_jenis["siswa"], per_jenis["akun"], strict=True)]
    per_jenis = per_jenis.sort_values("akun", ascending=False)
    out["per_jenis"] = tabel_md(per_jenis, "jenis_akun")
    ortu = akun[akun["jenis_akun"] == "orang_tua"]
    out["ortu"] = str(len(ortu))
    out["ortu_reseller"] = str(int(ortu["id_reseller"].notna().sum()))
    out["akun_total"] = str(len(akun))

    # reseller: voucher dibeli dan diaktifkan
    restock = lunas[lunas["kanal_penjualan"] == "reseller"]
    r = pd.DataFrame({"restock lunas": restock.groupby("id_akun").size(),
                      "kursi dibeli": restock.groupby("id_akun")["kursi"].sum(),
                      "kursi diaktifkan": gabung.groupby("id_reseller")["id_pengguna"].count()})
    r["belum diaktifkan"] = r["kursi dibeli"] - r["kursi diaktifkan"]
    r["% diaktifkan"] = [angka(a / b * 100) for a, b in zip(r["kursi diaktifkan"], r["kursi dibeli"], strict=True)]
    r.index = akun.set_index("id_akun").loc[r.index, "nama_akun"]
    out["reseller"] = tabel_md(r, "reseller")

    # pendapatan per segmen dan per kanal
    seg = lunas.merge(akun, on="id_akun").groupby("segmen")["nilai"].sum()
    kanal = lunas.groupby("kanal_penjualan")["nilai"].sum()
    out["segmen"] = tabel_md(pd.DataFrame({
        "pendapatan lunas 2023–2025 (juta rupiah)": [angka(v / 1e6) for v in seg],
        "porsi": [angka(v / seg.sum() * 100) + "%" for v in seg]}, index=seg.index), "segmen")
    out["persen_reseller"] = angka(kanal["reseller"] / kanal.sum() * 100, 1)

    # pelanggan baru dan loyal: kohort B2C yang membeli langsung
    b2c = lunas.merge(akun[["id_akun", "segmen", "tanggal_daftar"]], on="id_akun")
    b2c = b2c[b2c["segmen"] == "B2C"]
    perp = (b2c["jenis_pesanan"] == "perpanjangan").groupby(b2c["id_akun"]).sum()
    tahun = b2c.groupby("id_akun")["tanggal_daftar"].first().dt.year
    kohort = pd.crosstab(tahun, perp)
    k = pd.DataFrame({f"{n}× memperpanjang": kohort[n] for n in kohort.columns})
    k["akun"] = kohort.sum(axis=1)
    k["% berhenti di 0"] = [angka(z / t * 100) + "%" for z, t in zip(kohort[0], k["akun"], strict=True)]
    out["kohort"] = tabel_md(k, "tahun mulai")
    promo = (b2c["diskon_persen"] > 0).groupby(b2c["jenis_pesanan"]).mean() * 100
    out["promo"] = tabel_md(pd.DataFrame({"pesanan lunas": b2c.groupby("jenis_pesanan").size(),
                                          "% memakai diskon": [angka(v) + "%" for v in promo]}), "jenis_pesanan")

    # metrik: unduhan dan latihan selesai per sekolah
    sekolah = akun.loc[akun["jenis_akun"] == "sekolah", ["id_akun", "nama_akun"]]
    akt = aktivitas.merge(pengguna, on="id_pengguna").merge(sekolah, on="id_akun")
    pv = akt.pivot_table(index="nama_akun", columns="peristiwa", values="jumlah", aggfunc="sum", fill_value=0)
    siswa = pengguna.merge(sekolah, on="id_akun").groupby("nama_akun")["id_pengguna"].count()
    m = pd.DataFrame({"siswa terdaftar": siswa, "unduhan": pv["unduh_aplikasi"],
                      "latihan selesai per siswa": pv["selesai_latihan"] / siswa})
    m = m.sort_values("unduhan", ascending=False)
    m["latihan selesai per siswa"] = [angka(v, 1) for v in m["latihan selesai per siswa"]]
    out["sekolah"] = tabel_md(m, "sekolah")

    # pelanggan internal: tiket yang menyangkut akun pelanggan
    terkait = tiket["id_akun"].notna()
    out["tiket_total"], out["tiket_terkait"] = str(len(tiket)), str(int(terkait.sum()))
    out["persen_terkait"] = angka(terkait.mean() * 100)
    mt = tiket[terkait].groupby("divisi_tujuan")["jam_selesai"].agg(["count", "median"])
    out["per_divisi"] = tabel_md(pd.DataFrame({"tiket": mt["count"],
                                               "median jam": [angka(v) for v in mt["median"]]}), "divisi_tujuan")
    keu = tiket[terkait & (tiket["divisi_tujuan"] == "Keuangan")]["jam_selesai"]
    rows = {"banyaknya tiket": str(len(keu)), "median": angka(keu.median()) + " jam",
            "rata-rata": angka(keu.mean()) + " jam", "paling lama": angka(keu.max()) + " jam"}
    for h in (24, 48, 72, 96):
        rows[f"selesai dalam {h} jam"] = angka((keu <= h).mean() * 100) + "%"
    out["keuangan"] = "| ukuran | nilai |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows.items())
    return out


def sel(t: dict[str, str]) -> list[tuple[str, str, str]]:
    """(id, type, source) of every cell of the no-code notebook."""
    call = lambda ex: f'from kenali import tampilkan\n\ntampilkan("{ex}")'  # noqa: E731
    return [
        ("l05b-00", "markdown", f"""# Pelajaran 5b · Lab data tanpa kode

*Perkiraan waktu: {MINUTES} menit*

Ini jalur **tanpa kode** untuk [Pelajaran 5 · Lab data](05_lab_data.ipynb). Datanya sama: aplikasi belajar
rekaan **BelajarKita** dengan tabel akun, siswa, pesanan, pemakaian, dan tiket meja layanan internal. Bedanya,
semua tabel di sini **sudah dihitung** untukmu. Tugasmu bagian yang paling penting di tempat kerja: membaca
tabelnya, lalu memutuskan apa artinya. Kamu tidak perlu memprogram dan tidak perlu pandas. Buku ini berjalan di
JupyterLab maupun di Voilà (`kenali app`). Pilih jawaban di setiap widget lalu tekan **Periksa**; jawabanmu
tersimpan dan ikut dinilai seperti latihan lainnya.

Semua angka di bawah dihitung dari file CSV di folder `data/` oleh skrip `data/tabel_tanpa_kode.py`, dengan
cara yang sama seperti di Pelajaran 5 dan latihannya."""),
        ("l05b-01", "code", 'from kenali import mulai\n\nmulai("05")'),
        ("l05b-02", "markdown", f"""## Siapa membayar, siapa memakai

Satu baris tabel `akun` adalah satu akun: pihak yang membayar untuk siswanya. Tidak semua membayar langsung ke
BelajarKita. Dari {t['ortu']} akun orang tua, **{t['ortu_reseller']}** membeli voucher (kode langganan prabayar)
di toko reseller, jadi uangnya dibayarkan ke reseller, dan reseller yang membayar BelajarKita. Tabel `pengguna`
berisi siswa, yaitu pengguna akhir yang membuka aplikasinya.

{t['per_jenis']}

Sekolah dan perusahaan hanya sedikit akunnya, tetapi membayari ratusan siswa. Hanya di akun **mandiri** satu
akun berarti satu siswa: siswa itu membayar dan memakai sendiri. **Reseller** membayar tanpa punya siswa:
mereka membeli untuk dijual lagi."""),
        ("l05b-03", "code", call("5.k1")),
        ("l05b-04", "markdown", f"""### Voucher yang dibeli reseller, dan yang sampai ke siswa

Setiap kursi yang dibeli reseller adalah satu voucher untuk satu siswa. Sebuah kursi baru dipakai setelah
seorang siswa mengaktifkannya. Tabel ini memakai restock (pembelian stok ulang oleh reseller) yang lunas,
2023–2025:

{t['reseller']}

Lewat kanal reseller masuk **{t['persen_reseller']}%** dari seluruh pendapatan lunas. Pendapatan per segmen
(B2B: lembaga, termasuk reseller; B2C: orang tua dan siswa mandiri yang membayar langsung):

{t['segmen']}

Uang dari keluarga yang membeli voucher tercatat di B2B, karena yang bertransaksi dengan BelajarKita adalah
resellernya."""),
        ("l05b-05", "code", call("5.16")),
        ("l05b-06", "markdown", f"""## Pelanggan baru dan pelanggan loyal

Akun B2C yang membeli langsung dari BelajarKita, menurut tahun mulai berlangganan (**kohort**) dan berapa kali
mereka sudah memperpanjang langganan tahunannya (pesanan lunas sampai akhir 2025):

{t['kohort']}

Angka 0 berarti dua hal yang berbeda. Di kohort 2025 itu wajar: akunnya baru, belum waktunya memperpanjang.
Di kohort 2023 dan 2024 angka 0 berarti akun itu membeli sekali lalu berhenti.

Pesanan B2C yang lunas, menurut jenisnya, dan berapa bagian yang memakai kode diskon:

{t['promo']}"""),
        ("l05b-07", "code", call("5.k2")),
        ("l05b-08", "code", call("5.17")),
        ("l05b-09", "markdown", f"""## Metrik yang bermakna bagi pengguna akhir

Pemakaian Januari–Juni 2025 di setiap sekolah pelanggan. *Unduhan* menghitung berapa kali aplikasi dipasang.
*Latihan selesai per siswa* membagi latihan yang diselesaikan dengan semua siswa terdaftar, termasuk yang
tidak pernah membuka aplikasinya.

{t['sekolah']}

Sekolah dengan unduhan terbanyak justru paling sedikit menyelesaikan latihan, dan sebaliknya. Unduhan adalah
**vanity metric**: angka yang gampang naik dan enak dipamerkan, tetapi tidak menunjukkan apakah siswa
terbantu."""),
        ("l05b-10", "code", call("5.k3")),
        ("l05b-11", "code", call("5.14")),
        ("l05b-12", "markdown", f"""## Pelanggan internal di meja layanan

Di meja layanan internal BelajarKita, satu divisi membuka tiket untuk meminta sesuatu dari divisi lain. Divisi
peminta adalah **pelanggan internal** divisi tujuan. Dari {t['tiket_total']} tiket tahun 2025,
**{t['tiket_terkait']} ({t['persen_terkait']}%)** menyangkut satu akun pelanggan eksternal, misalnya faktur untuk
sebuah sekolah atau akun siswa yang terkunci. Tiket-tiket itu per divisi yang mengerjakannya:

{t['per_divisi']}

*Median* adalah nilai tengah: separuh tiket selesai lebih cepat, separuh lebih lambat. Untuk waktu tunggu,
median lebih jujur daripada rata-rata, karena segelintir tiket yang tertahan berhari-hari menarik rata-rata
ke atas."""),
        ("l05b-13", "code", call("5.k4")),
        ("l05b-14", "code", call("5.15")),
        ("l05b-15", "markdown", f"""### Tiket Keuangan yang menyangkut pelanggan

Rincian untuk tiket yang dikerjakan Keuangan dan menyangkut akun pelanggan (faktur, pembayaran gagal,
penawaran harga, pengembalian dana), 2025:

{t['keuangan']}"""),
        ("l05b-16", "code", call("5.18")),
        ("l05b-17", "code", call("5.19")),
        ("l05b-19", "markdown", """## Terapkan di produkmu

Jawaban di bawah tidak dinilai. Tulis dengan kata-katamu sendiri, lalu tekan **Simpan**; jawabanmu tersimpan
bersama kemajuanmu."""),
        ("l05b-20", "code", call("5.r1")),
        ("l05b-18", "markdown", """## Poin kunci

- Satu akun bisa membayari banyak siswa; yang membayar dan yang memakai sering berbeda. Sebagian keluarga
  membayar reseller, bukan BelajarKita.
- Voucher yang sudah dibayar reseller belum tentu sampai ke siswa: bandingkan kursi yang dibeli dengan kursi
  yang diaktifkan.
- Angka 0 perpanjangan berarti *baru* di kohort terakhir dan *berhenti* di kohort lama.
- Unduhan adalah vanity metric; latihan selesai per siswa terdaftar menunjukkan pemakaian fitur inti.
- Lebih dari separuh tiket internal menyangkut pelanggan eksternal: lambatnya layanan antardivisi ikut
  dirasakan pelanggan. Data tiket menunjukkan keterkaitan ini, belum membuktikan sebab-akibatnya.

Kembali ke [Pelajaran 5](05_lab_data.ipynb) atau ke [peta kursus](00_mulai.ipynb)."""),
    ]


def tulis(t: dict[str, str]) -> None:
    lama = {}
    if NOTEBOOK.exists():
        lama = {c.get("id"): c for c in nbformat.read(NOTEBOOK, as_version=4).cells}
    cells = []
    for cid, kind, source in sel(t):
        old = lama.get(cid)
        if old is not None and old.cell_type == kind and old.source == source:
            cells.append(old)
            continue
        cell = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
        cell["id"] = cid
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kenali"] = {"lesson": "05", "minutes": MINUTES}
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    nbformat.write(nb, NOTEBOOK)


if __name__ == "__main__":
    tabel = hitung()
    if "--print" in sys.argv:
        for name, text in tabel.items():
            print(f"--- {name}\n{text}\n")
    else:
        tulis(tabel)
        print(f"wrote {NOTEBOOK}")
