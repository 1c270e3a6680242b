#!/usr/bin/env python3
"""Writes a residents sheet of N rows over the demo district's comprehensive grids, as CSV or
(by the output's extension) xlsx as Excel saves it (shared strings, cell references), plus a file of search queries (exact ID
numbers and name prefixes with their community). Valid ID numbers of 450803 (港南区), so they
never meet the demo's own residents (450802). With a code prefix, only the grids under it (one
community: the register a community officer keeps and imports).
Usage: demo.json N out.csv|out.xlsx queries.txt [code-prefix]"""
import json, random, sys, zipfile, datetime

demo, n, out, queries = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
under = sys.argv[5] if len(sys.argv) > 5 else ""
grids = sorted(f["properties"]["code"] for f in json.load(open(demo))["features"]
               if len(f["properties"]["code"]) == 15 and f["properties"]["code"].startswith(under)
               and f["properties"].get("class", "comprehensive") == "comprehensive")
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
SUR = "韦黄覃梁李陈莫蒙刘张王廖谢罗农陆杨周吴邓"
GIV = "海丽建华秀英志强玉兰春梅军红桂芳明文德平燕勇静伟霞林国荣敏琳凤宁鹏娟斌萍俊艳新云"
TAGS = ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "残疾人", "独居老人(重点)", "低保/困难家庭(关注)", "退役军人", ""]
HEADER = "网格编码,楼栋,地址,单元,楼层,房号,户编号,姓名,公民身份号码,联系电话,与户主关系,居住状态,迁入日期,迁出日期,重点人群标签,备注".split(",")
base = datetime.date(1940, 1, 1)
rng = random.Random(450803)

def id_number(i):
    d = base + datetime.timedelta(days=i % 29000)
    first = f"450803{d:%Y%m%d}{i // 29000:03d}"
    return first + "10X98765432"[sum(int(c) * w for c, w in zip(first, W)) % 11]

def rows():
    for i in range(n):
        hh = i // 2
        grid = grids[hh % len(grids)]
        k = hh // len(grids)
        name = rng.choice(SUR) + rng.choice(GIV) + (rng.choice(GIV) if rng.random() < .7 else "")
        phone = f"13{rng.randrange(10**9):09d}" if rng.random() < .6 else ""
        yield [grid, f"荷城小区{k // 24 + 1}栋", "港南区江南大道1号", str(k % 24 // 12 + 1), str(k % 12 // 2 + 1),
               f"{k % 12 // 2 + 1}0{k % 2 + 1}", f"H{hh}", name, id_number(i), phone,
               "户主" if i % 2 == 0 else "配偶", "户籍", "", "", rng.choice(TAGS), ""]

if out.endswith(".xlsx"):
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="居民信息" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        # As Excel and WPS save a sheet: every text in the shared strings table (each once),
        # cells named by their reference, empty cells left out.
        strings, sst = {}, []
        def ref(s):
            if s not in strings:
                strings[s] = len(sst)
                sst.append(s)
            return strings[s]
        cols = [chr(ord("A") + i) for i in range(len(HEADER))]
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            def row(r, cells):
                return (f'<row r="{r}" spans="1:{len(HEADER)}">' + "".join(f'<c r="{c}{r}" t="s"><v>{ref(v)}</v></c>' for c, v in zip(cols, cells) if v) + "</row>").encode()
            f.write(row(1, HEADER))
            for r, cells in enumerate(rows(), 2):
                f.write(row(r, cells))
            f.write(b"</sheetData></worksheet>")
        with z.open("xl/sharedStrings.xml", "w") as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(sst)}" uniqueCount="{len(sst)}">'.encode())
            for s in sst:
                f.write(f"<si><t>{esc(s)}</t></si>".encode())
            f.write(b"</sst>")
else:
    with open(out, "w", encoding="utf-8") as f, open(queries, "w", encoding="utf-8") as q:
        f.write(",".join(HEADER) + "\n")
        for i, cells in enumerate(rows()):
            f.write(",".join(cells) + "\n")
            if i % 997 == 0:
                q.write(f"id\t{cells[8]}\t{cells[0]}\n")
                q.write(f"name\t{cells[7][:2]}\t{cells[0][:12]}\n")
