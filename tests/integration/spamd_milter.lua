-- tests/integration/spamd_milter.lua - one message through a running
-- tessera-spamd with Debian's miltertest (opendkim-tools), checking the
-- verdict at end of message. Run by tests/integration/spamd_test.c:
--   SPAMD_SOCKET=unix:PATH SPAMD_MESSAGE=FILE SPAMD_EXPECT=ham|tag|reject
--   [SPAMD_FORGED=1: the message first gets X-Spam-Status/-Score fields
--   of its own, which the filter must remove] miltertest -s this-file
-- Any failed check raises an error: miltertest exits non-zero.
local sock = assert(os.getenv("SPAMD_SOCKET"), "SPAMD_SOCKET")
local file = assert(os.getenv("SPAMD_MESSAGE"), "SPAMD_MESSAGE")
local expect = assert(os.getenv("SPAMD_EXPECT"), "SPAMD_EXPECT")
local forged = os.getenv("SPAMD_FORGED") == "1"

local function check(cond, what)
	if not cond then
		-- miltertest does not print the error's text: say it first
		mt.echo("spamd_milter: FAILED: " .. what)
		error("spamd_milter: " .. what)
	end
end

local f = assert(io.open(file, "rb"))
local data = f:read("*a")
f:close()
data = data:gsub("\r\n", "\n")
local hdr, body = data:match("^(.-)\n\n(.*)$")
if hdr == nil then
	hdr, body = data, ""
end

local fields = {}
if forged then
	table.insert(fields, { name = "X-Spam-Status", value = "No, score=0.0" })
	table.insert(fields, { name = "X-Spam-Score", value = "0.0" })
end
for line in (hdr .. "\n"):gmatch("(.-)\n") do
	if line:match("^[ \t]") and #fields > 0 then
		fields[#fields].value = fields[#fields].value .. "\r\n" .. line
	else
		local n, v = line:match("^([^:%s]+):[ \t]*(.*)$")
		if n ~= nil then
			table.insert(fields, { name = n, value = v })
		end
	end
end

local conn = mt.connect(sock, 40, 0.25)
check(conn ~= nil, "cannot connect to " .. sock)
check(mt.conninfo(conn, "client.example", "127.0.0.1") == nil, "conninfo")
check(mt.getreply(conn) == SMFIR_CONTINUE, "connect reply")
mt.macro(conn, SMFIC_MAIL, "i", "MT" .. tostring(os.time()))
check(mt.mailfrom(conn, "<sender@example.org>") == nil, "mailfrom")
check(mt.getreply(conn) == SMFIR_CONTINUE, "mailfrom reply")
-- no RCPT: the filter negotiates that step away (SMFIP_NORCPT), and
-- miltertest refuses a step the filter skipped
for _, fl in ipairs(fields) do
	check(mt.header(conn, fl.name, fl.value) == nil, "header " .. fl.name)
	check(mt.getreply(conn) == SMFIR_CONTINUE, "header reply")
end
check(mt.eoh(conn) == nil, "eoh")
check(mt.getreply(conn) == SMFIR_CONTINUE, "eoh reply")
body = body:gsub("\n", "\r\n")
local pos = 1
while pos <= #body do
	check(mt.bodystring(conn, body:sub(pos, pos + 32767)) == nil, "body")
	check(mt.getreply(conn) == SMFIR_CONTINUE, "body reply")
	pos = pos + 32768
end
check(mt.eom(conn) == nil, "eom")
local reply = mt.getreply(conn)

if expect == "reject" then
	check(reply == SMFIR_REPLYCODE, "eom reply is not a reply code: " ..
	    tostring(reply))
	-- (miltertest 2.11 matches code and enhanced code only with the text)
	check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1",
	    "Message refused as spam"), "no 550 5.7.1 reply")
	check(not mt.eom_check(conn, MT_HDRADD, "X-Spam-Status"),
	    "a refused message was tagged")
	mt.echo("spamd_milter: refused with 550 5.7.1 as expected")
else
	check(reply == SMFIR_CONTINUE or reply == SMFIR_ACCEPT,
	    "eom reply " .. tostring(reply))
	check(mt.eom_check(conn, MT_HDRADD, "X-Spam-Status"),
	    "no X-Spam-Status added")
	check(mt.eom_check(conn, MT_HDRADD, "X-Spam-Score"),
	    "no X-Spam-Score added")
	local status = mt.getheader(conn, "X-Spam-Status", 0)
	local score = mt.getheader(conn, "X-Spam-Score", 0)
	mt.echo("spamd_milter: X-Spam-Status: " .. tostring(status) ..
	    " X-Spam-Score: " .. tostring(score))
	local want = expect == "tag" and "Yes" or "No"
	check(status ~= nil and status:match("^" .. want ..
	    ", score=[01]%.%d%d%d%d$") ~= nil, "X-Spam-Status is not " .. want)
	check(score ~= nil and status:sub(-#score) == score,
	    "X-Spam-Score differs from the status's score")
	if forged then
		check(mt.eom_check(conn, MT_HDRDELETE, "X-Spam-Status") or
		    mt.eom_check(conn, MT_HDRCHANGE, "X-Spam-Status"),
		    "the forged X-Spam-Status was kept")
		check(mt.eom_check(conn, MT_HDRDELETE, "X-Spam-Score") or
		    mt.eom_check(conn, MT_HDRCHANGE, "X-Spam-Score"),
		    "the forged X-Spam-Score was kept")
	end
end
mt.disconnect(conn)
